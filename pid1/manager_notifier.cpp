#include "pid1/manager_notifier.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "services/service_counts.h"

namespace svinit::pid1 {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

bool shutting_down(Phase phase) noexcept {
    switch (phase) {
        case Phase::Idle:
        case Phase::Booting:
        case Phase::Running:
            return false;
        case Phase::AbortingBoot:
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
        case Phase::Sweeping:
        case Phase::Done:
            return true;
    }
    return false;
}

// A TOML service's stop: its stop command or signal, then KILL after its timeout, which
// runs again from the signal when a stop command failed.
core::Duration longest_service_stop(const services::SupervisorApi& supervisor) {
    core::Duration longest{};
    for (const auto& name : supervisor.service_names()) {
        const auto spec = supervisor.spec(name);
        if (!spec || spec->source != services::SourceKind::Toml) continue;
        longest = std::max(longest, 2 * spec->stop.timeout + spec->finish_timeout);
    }
    return longest;
}

}  // namespace

core::Duration stop_budget(const InitConfig& config, core::Duration longest_service) {
    const auto& policy = config.service_policy;
    const core::Duration main = config.command.empty() ? core::Duration{} : policy.stop_timeout;
    // run: TERM, KILL after the stop timeout; its finish script; then the logger, which
    // may take a stop timeout of its own.
    const core::Duration services =
        config.supervise
            ? std::max(2 * policy.stop_timeout + policy.finish_timeout, longest_service)
            : core::Duration{};
    const core::Duration sweep = config.kill_all_on_exit ? config.kill_grace : core::Duration{};
    if (config.lifecycle.my_init) {
        // One after another: main command, pre-shutdown scripts, services, post-shutdown.
        return main + 2 * config.lifecycle.shutdown_script_limit + services + sweep;
    }
    // The main command is told to stop together with the services.
    return std::max(main, services) + sweep;
}

ManagerNotifier::ManagerNotifier(core::EventLoop& loop, InitView& init, Options options)
    : loop_(loop), init_(init), options_(std::move(options)) {}

core::Result<void> ManagerNotifier::start() {
    phase_observer_ = init_.observe_phase([this](Phase phase) { on_phase(phase); });
    if (auto* supervisor = init_.supervisor_api()) {
        service_observer_ = supervisor->observe([this](std::string_view) { changed(); });
    }
    if (options_.watchdog) {
        // Half the interval, as sd_watchdog_enabled(3) advises: one late ping is not fatal.
        auto timer = loop_.add_timer(*options_.watchdog / 2, true, [this] { send("WATCHDOG=1"); });
        if (!timer) return std::unexpected(timer.error());
        watchdog_timer_ = std::move(*timer);
    }
    spdlog::debug("sd_notify to {}{}", options_.sender.address(),
                  options_.watchdog
                      ? fmt::format(", watchdog every {}us", options_.watchdog->count())
                      : std::string());
    return {};
}

void ManagerNotifier::on_phase(Phase phase) {
    if (shutting_down(phase) && !stopping_) begin_stopping();
    changed();
}

// Counting walks every service, so it waits for the timer: never inside the supervisor's
// own callbacks, and at most once per kStatusEvery however many services change.
void ManagerNotifier::changed() {
    if (status_timer_) return;
    const core::TimePoint now = loop_.now();
    core::Duration delay{};
    if (last_flush_) delay = std::max(core::Duration{}, *last_flush_ + kStatusEvery - now);
    auto timer = loop_.add_timer(delay, false, [this] {
        status_timer_.release();
        flush();
    });
    if (timer) {
        status_timer_ = std::move(*timer);
    } else {
        spdlog::warn("sd_notify status timer: {}", timer.error().message());
    }
}

void ManagerNotifier::flush() {
    last_flush_ = loop_.now();
    const auto* supervisor = init_.supervisor_api();
    services::ServiceCounts counts;
    if (supervisor != nullptr) {
        counts = services::count_services(*supervisor);
        std::string status = services::describe(counts);
        if (stopping_) status = "shutting down: " + status;
        if (status != last_status_) {
            send("STATUS=" + status);
            last_status_ = std::move(status);
        }
    }
    if (!ready_sent_ && init_.phase() == Phase::Running && counts.all_as_wanted) {
        ready_sent_ = true;
        send("READY=1");
    }
}

void ManagerNotifier::begin_stopping() {
    stopping_ = true;
    send("STOPPING=1");
    const auto* supervisor = init_.supervisor_api();
    const core::Duration longest =
        supervisor != nullptr ? longest_service_stop(*supervisor) : core::Duration{};
    stop_deadline_ = loop_.now() + stop_budget(init_.config(), longest);
    extend();
}

// Each renewal grants twice the period, so one late tick does not end it, but never past
// the budget: beyond it, the unit's TimeoutStopSec decides.
void ManagerNotifier::extend() {
    const core::Duration remaining = stop_deadline_ - loop_.now();
    if (remaining <= core::Duration{}) {
        extend_timer_.reset();
        return;
    }
    const auto grant = duration_cast<microseconds>(std::min(remaining, 2 * kExtendEvery));
    send(fmt::format("EXTEND_TIMEOUT_USEC={}", grant.count()));
    if (extend_timer_) return;
    auto timer = loop_.add_timer(kExtendEvery, true, [this] { extend(); });
    if (timer) {
        extend_timer_ = std::move(*timer);
    } else {
        spdlog::warn("sd_notify extend timer: {}", timer.error().message());
    }
}

// The manager not listening costs one warning, never the services.
void ManagerNotifier::send(const std::string& message) {
    auto sent = options_.sender.send(message);
    if (sent || failure_logged_) return;
    failure_logged_ = true;
    spdlog::warn("{} ({}); later failures are not logged", sent.error().message(), message);
}

}  // namespace svinit::pid1
