#pragma once
// [health]: liveness after ready, like Docker's HEALTHCHECK but per service. While the
// service is up with a process, an exec or tcp check every `interval` (the first one
// `interval` after it became ready), each bounded by `timeout`; `failures` failed checks in
// a row are reported once (Unhealthy, which restarts the service through its state
// machine). A passing check resets the count. What it found is kept for svctl status.

#include <functional>
#include <string>

#include "core/child_host.h"
#include "core/event_loop.h"
#include "services/check_run.h"
#include "services/service_spec.h"
#include "services/supervisor_api.h"

namespace svinit::services {

class HealthProbe {
public:
    using Unhealthy = std::function<void()>;

    // `process` must outlive the probe.
    HealthProbe(core::EventLoop& loop, core::ChildHost& children, std::string name,
                const ProcessSpec& process, HealthSpec spec, Unhealthy on_unhealthy);

    // The service is up (ready) with a fresh run: forget the last run's results, start
    // checking.
    void begin();
    // It is not up any more: no more checks; the results stay for status.
    void stop();
    bool active() const noexcept { return active_; }

    const HealthStatus& status() const noexcept { return status_; }

private:
    void schedule();
    void check_once();
    void on_outcome(const CheckOutcome& outcome);

    core::EventLoop& loop_;
    std::string name_;
    HealthSpec spec_;
    Unhealthy on_unhealthy_;
    HealthStatus status_;
    bool active_ = false;
    // Handles last: gone before what their callbacks reach.
    CheckRunner runner_;
    core::TimerHandle next_check_;
};

}  // namespace svinit::services
