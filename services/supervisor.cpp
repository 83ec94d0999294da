#include "services/supervisor.h"

#include <spdlog/spdlog.h>

#include "core/fd_budget.h"
#include "services/essential.h"

namespace svinit::services {
namespace {

// The most fds a service holds: the pidfds of run and finish, and with a logger its pipe
// and the logger's two pidfds.
std::size_t fds_needed(const ServiceSpec& spec) {
    return 2 + (spec.log ? 4 : 0);
}

}  // namespace

Supervisor::Supervisor(core::EventLoop& loop, core::ChildHost& children, Policy defaults,
                       DirIndex::Identify identify)
    : loop_(loop), children_(children), defaults_(defaults), dirs_(std::move(identify)) {}

void Supervisor::apply(std::vector<ServiceSpec> specs) {
    if (stopping_all()) return;
    std::map<std::string, ServiceSpec, std::less<>> wanted;
    for (auto& spec : specs) wanted.emplace(spec.name, std::move(spec));

    for (auto it = services_.begin(); it != services_.end();) {
        auto found = wanted.find(it->first);
        if (found == wanted.end()) {
            spdlog::info("{}: removed; stopping it", it->first);
            auto service = std::move(it->second);
            it = services_.erase(it);
            retire(std::move(service));
            continue;
        }
        if (found->second != it->second->spec()) {
            if (it->second->can_update_in_place(found->second)) {
                it->second->update(std::move(found->second), defaults_);
            } else {
                spdlog::info("{}: changed; replacing it", it->first);
                auto service = std::move(it->second);
                it = services_.erase(it);
                retire(std::move(service));
                continue;  // the new one is added below
            }
        }
        wanted.erase(found);
        ++it;
    }
    std::vector<Service*> added;
    // The fds free are counted once for the whole batch.
    std::size_t wanted_fds = core::kReservedFds;
    for (const auto& [name, spec] : wanted) wanted_fds += fds_needed(spec) + capture_fds(spec);
    const std::size_t free_fds = core::fds_free(wanted_fds);
    std::size_t pending_fds = 0;
    for (auto& [name, spec] : wanted) {
        const std::size_t needed = fds_needed(spec) + capture_fds(spec);
        if (Service* service = add(std::move(spec), free_fds, pending_fds)) {
            added.push_back(service);
            pending_fds += needed;
        }
    }
    // Each new service learns its dependencies' state before it starts.
    rebuild_graph();
    for (Service* service : added) update_gate(*service);
    for (Service* service : added) {
        service->start();
        notify_observers(service->spec().name);  // a normally-down one reports no change
    }
    on_service_change();
}

Service* Supervisor::add(ServiceSpec spec, std::size_t free_fds, std::size_t pending_fds) {
    std::string name = spec.name;
    const std::size_t needed = fds_needed(spec) + capture_fds(spec);
    if (core::kReservedFds + pending_fds + needed > free_fds) {
        spdlog::error(
            "{}: not started: too close to the open file limit ({}), where svinit keeps {} "
            "files for restarts and svctl; raise the limit (ulimit -n) to supervise more",
            name, core::fd_limit(), core::kReservedFds);
        return nullptr;
    }
    auto service = Service::create({loop_, children_, output_.get()}, std::move(spec), defaults_,
                                   [this, name] {
                                       notify_observers(name);
                                       check_essential(name);
                                       on_service_change();
                                   });
    if (!service) {
        spdlog::error("{}: {}", name, service.error().message());
        return nullptr;
    }
    Service& s = **service;
    services_.emplace(name, std::move(*service));
    // A TOML service has no directory to be named by (main.dir is where it runs).
    if (s.spec().source != SourceKind::Toml) dirs_.add(name, s.spec().main.dir);
    if (s.spec().log) dirs_.add(name + std::string(kLoggerSuffix), s.spec().log->dir);
    spdlog::debug("{}: supervising {}", name, s.spec().main.dir.string());
    return &s;
}

void Supervisor::retire(std::unique_ptr<Service> service) {
    // Waiters for a service that goes away learn it will never get there.
    std::vector<std::function<void(bool)>> orphaned;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->second.service == service->spec().name) {  // its logger's waits too
            orphaned.push_back(std::move(it->second.done));
            it = waiters_.erase(it);
        } else {
            ++it;
        }
    }
    std::string name = service->spec().name;
    dirs_.remove(name);
    dirs_.remove(name + std::string(kLoggerSuffix));
    service->retire();
    retired_.push_back(std::move(service));
    for (auto& done : orphaned) done(false);
    notify_observers(name);
    on_service_change();
}

void Supervisor::on_service_change() {
    // A change caused while gates are told: the loop in update_gates() goes round again,
    // and its caller (this function, further up) does the rest. services_ must not change
    // under that loop.
    if (updating_gates_) {
        gates_dirty_ = true;
        return;
    }
    update_gates();
    if (stop_all_done_) advance_stop_all();
    wake_waiters();
    // Retired services are destroyed outside their own callbacks, on the next turn of
    // the loop (a zero timer exists only while there is something to collect).
    if (!collect_timer_ && (!retired_.empty() || stop_all_done_)) {
        auto timer = loop_.add_timer(core::Duration::zero(), false, [this] {
            collect_timer_.release();
            collect_retired();
        });
        if (timer) collect_timer_ = std::move(*timer);
    }
}

void Supervisor::check_essential(std::string_view name) {
    if (!essential_handler_ || essential_failed_ || stopping_all()) return;
    auto it = services_.find(name);
    if (it == services_.end() || !it->second->spec().essential) return;
    auto code = essential_exit_code(it->second->main().state());
    if (!code) return;
    spdlog::error("{}: essential service failed for good ({}); shutting down with exit code {}",
                  name, it->second->main().status().reason, *code);
    essential_failed_ = true;
    // The handler shuts everything down: not from inside the service's own callback.
    auto timer = loop_.add_timer(core::Duration::zero(), false,
                                 [this, service = std::string(name), status = *code] {
                                     essential_timer_.release();
                                     essential_handler_(service, status);
                                 });
    if (timer) {
        essential_timer_ = std::move(*timer);
    } else {
        essential_handler_(std::string(name), *code);
    }
}

void Supervisor::collect_retired() {
    std::erase_if(retired_, [](const auto& service) { return service->settled(); });
    if (stop_all_done_ && retired_.empty() && services_.empty()) {
        stopped_all_ = true;
        auto done = std::exchange(stop_all_done_, nullptr);
        done();
    }
}

void Supervisor::stop_all(core::Callback done) {
    if (stopping_all()) return;
    stop_all_done_ = std::move(done);
    advance_stop_all();
    on_service_change();
}

std::vector<std::string> Supervisor::service_names() const {
    std::vector<std::string> names;
    names.reserve(services_.size());
    for (const auto& [name, service] : services_) names.push_back(name);
    return names;
}

Supervisor::Target Supervisor::find(std::string_view name) const {
    if (auto it = services_.find(name); it != services_.end()) {
        return {it->second.get(), Program::Main};
    }
    if (!name.ends_with(kLoggerSuffix)) return {};
    auto it = services_.find(name.substr(0, name.size() - kLoggerSuffix.size()));
    if (it == services_.end() || !it->second->logger()) return {};
    return {it->second.get(), Program::Log};
}

const SupervisedProcess* Supervisor::program_of(const Service& service, Program program) const {
    return program == Program::Log ? service.logger() : &service.main();
}

std::optional<std::string> Supervisor::resolve(std::string_view name_or_path) const {
    if (find(name_or_path).service) return std::string(name_or_path);
    if (name_or_path.find('/') == std::string_view::npos) return std::nullopt;
    // A path: the service or logger whose directory it names, lexically or after symlinks.
    return dirs_.find(name_or_path);
}

std::optional<ServiceStatus> Supervisor::status(std::string_view name) const {
    const Target target = find(name);
    if (!target.service) return std::nullopt;
    if (target.program == Program::Log) return target.service->logger_status();
    return target.service->status();
}

std::optional<ServiceSpec> Supervisor::spec(std::string_view name) const {
    const Target target = find(name);
    if (!target.service) return std::nullopt;
    return target.service->spec();
}

core::Result<void> Supervisor::command(std::string_view name, Command command) {
    const Target target = find(name);
    if (!target.service) {
        return core::error(ENOENT, std::string(name) + ": no such service");
    }
    auto done = target.service->command(command, target.program);
    // Want or paused may have changed without a state change.
    notify_observers(target.service->spec().name);
    return done;
}

bool Supervisor::reached(const Service& service, Program program, WaitTarget target) const {
    const SupervisedProcess* process = program_of(service, program);
    if (process == nullptr) return false;
    switch (target) {
        case WaitTarget::Up:
            return process->state().state == State::Run;
        case WaitTarget::Down:
            return process->settled();
    }
    return false;
}

SupervisorApi::WaitHandle Supervisor::wait(std::string_view name, WaitTarget target,
                                           std::function<void(bool reached)> done) {
    const Target found = find(name);
    if (!found.service) {
        done(false);
        return {};
    }
    if (reached(*found.service, found.program, target)) {
        done(true);
        return {};
    }
    auto id = WaitId{next_wait_id_++};
    waiters_.emplace(static_cast<std::uint64_t>(id),
                     Waiter{found.service->spec().name, found.program, target, std::move(done)});
    return WaitHandle(*this, id);
}

void Supervisor::cancel_wait(WaitId id) {
    waiters_.erase(static_cast<std::uint64_t>(id));
}

SupervisorApi::ObserverHandle Supervisor::observe(ChangeObserver observer) {
    auto id = next_observer_id_++;
    observers_.emplace(id, std::move(observer));
    return ObserverHandle(*this, ObserverId{id});
}

void Supervisor::unobserve(ObserverId id) {
    observers_.erase(static_cast<std::uint64_t>(id));
}

void Supervisor::notify_observers(std::string_view name) {
    for (const auto& [id, observer] : observers_) observer(name);
}

void Supervisor::wake_waiters() {
    std::vector<std::function<void(bool)>> ready;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        auto service = services_.find(it->second.service);
        if (service != services_.end() &&
            reached(*service->second, it->second.program, it->second.target)) {
            ready.push_back(std::move(it->second.done));
            it = waiters_.erase(it);
        } else {
            ++it;
        }
    }
    // Called after the map is consistent: a callback may start or cancel other waits.
    for (auto& done : ready) done(true);
}

void Supervisor::shutdown() {
    if (shutdown_handler_) {
        shutdown_handler_();
    } else {
        stop_all([] {});
    }
}

std::expected<void, std::vector<std::string>> Supervisor::reload() {
    if (!reload_handler_) return SupervisorApi::reload();
    return reload_handler_();
}

bool Supervisor::check() const {
    for (const auto& [name, service] : services_) {
        if (!service_ok(service->status())) return false;
    }
    return true;
}

}  // namespace svinit::services
