#include "services/health_probe.h"

#include <spdlog/spdlog.h>

namespace svinit::services {

std::string_view to_string(Health health) noexcept {
    switch (health) {
        case Health::Starting:
            return "starting";
        case Health::Healthy:
            return "healthy";
        case Health::Unhealthy:
            return "unhealthy";
    }
    return "?";
}

HealthProbe::HealthProbe(core::EventLoop& loop, core::ChildHost& children, std::string name,
                         const ProcessSpec& process, HealthSpec spec, Unhealthy on_unhealthy)
    : loop_(loop),
      name_(std::move(name)),
      spec_(std::move(spec)),
      on_unhealthy_(std::move(on_unhealthy)),
      runner_(loop, children, name_ + ": health check", process) {}

void HealthProbe::begin() {
    stop();
    status_ = HealthStatus{};
    active_ = true;
    schedule();
}

void HealthProbe::stop() {
    active_ = false;
    next_check_.reset();
    runner_.cancel();
}

void HealthProbe::schedule() {
    auto armed = loop_.add_timer(spec_.interval, false, [this] {
        next_check_.release();
        check_once();
    });
    if (!armed) {
        spdlog::error("{}: health check timer: {}", name_, armed.error().message());
        return;
    }
    next_check_ = std::move(*armed);
}

void HealthProbe::check_once() {
    runner_.start(spec_.check, spec_.timeout,
                  [this](const CheckOutcome& outcome) { on_outcome(outcome); });
}

void HealthProbe::on_outcome(const CheckOutcome& outcome) {
    status_.last = outcome.detail;
    if (outcome.passed) {
        if (status_.state == Health::Unhealthy) spdlog::info("{}: healthy again", name_);
        status_.state = Health::Healthy;
        status_.failures = 0;
        return schedule();
    }
    status_.state = Health::Unhealthy;
    if (status_.failures < spec_.failures) ++status_.failures;
    if (status_.failures < spec_.failures) {
        spdlog::warn("{}: health check failed ({} of {} in a row): {}", name_, status_.failures,
                     spec_.failures, outcome.detail);
        return schedule();
    }
    spdlog::warn("{}: unhealthy: {} health checks failed in a row; last: {}; restarting", name_,
                 status_.failures, outcome.detail);
    stop();
    if (on_unhealthy_) on_unhealthy_();  // last: restarts the service, which may stop us
}

}  // namespace svinit::services
