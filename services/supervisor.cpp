#include "services/supervisor.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace svinit::services {
namespace {

std::string normal_path(std::string_view path) {
    auto p = std::filesystem::path(path).lexically_normal();
    if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();  // "web/" -> "web"
    return p.string();
}

}  // namespace

Supervisor::Supervisor(core::EventLoop& loop, core::ChildHost& children, Policy defaults)
    : loop_(loop), children_(children), defaults_(defaults) {}

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
    for (auto& [name, spec] : wanted) add(std::move(spec));
}

void Supervisor::add(ServiceSpec spec) {
    std::string name = spec.name;
    auto service = Service::create({loop_, children_}, std::move(spec), defaults_, [this, name] {
        notify_observers(name);
        on_service_change();
    });
    if (!service) {
        spdlog::error("{}: {}", name, service.error().message());
        return;
    }
    Service& s = **service;
    services_.emplace(name, std::move(*service));
    spdlog::debug("{}: supervising {}", name, s.spec().main.dir.string());
    s.start();
    notify_observers(name);  // a normally-down service has no state change to report
}

void Supervisor::retire(std::unique_ptr<Service> service) {
    // Waiters for a service that goes away learn it will never get there.
    std::vector<std::function<void(bool)>> orphaned;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
        if (it->second.service == service->spec().name) {
            orphaned.push_back(std::move(it->second.done));
            it = waiters_.erase(it);
        } else {
            ++it;
        }
    }
    std::string name = service->spec().name;
    service->retire();
    retired_.push_back(std::move(service));
    for (auto& done : orphaned) done(false);
    notify_observers(name);
    on_service_change();
}

void Supervisor::on_service_change() {
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
    auto services = std::exchange(services_, {});
    for (auto& [name, service] : services) retire(std::move(service));
    on_service_change();
}

std::vector<std::string> Supervisor::service_names() const {
    std::vector<std::string> names;
    names.reserve(services_.size());
    for (const auto& [name, service] : services_) names.push_back(name);
    return names;
}

std::optional<std::string> Supervisor::resolve(std::string_view name_or_path) const {
    if (services_.contains(name_or_path)) return std::string(name_or_path);
    if (name_or_path.find('/') == std::string_view::npos) return std::nullopt;
    // A path: the service whose directory it names, lexically or after symlinks.
    std::string wanted = normal_path(name_or_path);
    std::error_code ec;
    auto wanted_real = std::filesystem::weakly_canonical(wanted, ec);
    for (const auto& [name, service] : services_) {
        const auto& dir = service->spec().main.dir;
        if (normal_path(dir.string()) == wanted) return name;
        if (!ec && std::filesystem::weakly_canonical(dir, ec) == wanted_real && !ec) return name;
    }
    return std::nullopt;
}

std::optional<ServiceStatus> Supervisor::status(std::string_view name) const {
    auto it = services_.find(name);
    if (it == services_.end()) return std::nullopt;
    return it->second->status();
}

core::Result<void> Supervisor::command(std::string_view name, Command command) {
    auto it = services_.find(name);
    if (it == services_.end()) return core::error(ENOENT, std::string(name) + ": no such service");
    auto done = it->second->command(command);
    notify_observers(name);  // want or paused may have changed without a state change
    return done;
}

bool Supervisor::reached(const Service& service, WaitTarget target) const {
    State state = service.main().state().state;
    switch (target) {
        case WaitTarget::Up:
            return state == State::Run;
        case WaitTarget::Down:
            return service.main().settled();
    }
    return false;
}

SupervisorApi::WaitHandle Supervisor::wait(std::string_view name, WaitTarget target,
                                           std::function<void(bool reached)> done) {
    auto it = services_.find(name);
    if (it == services_.end()) {
        done(false);
        return {};
    }
    if (reached(*it->second, target)) {
        done(true);
        return {};
    }
    auto id = WaitId{next_wait_id_++};
    waiters_.emplace(static_cast<std::uint64_t>(id),
                     Waiter{std::string(name), target, std::move(done)});
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
        if (service != services_.end() && reached(*service->second, it->second.target)) {
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

bool Supervisor::check() const {
    for (const auto& [name, service] : services_) {
        const auto& state = service->main().state();
        if (!state.normally_down && state.state != State::Run) return false;
    }
    return true;
}

}  // namespace svinit::services
