#pragma once
// Tells the service manager that started svinit (systemd, Type=notify) how svinit is
// doing, over sd_notify (core/notify_sender.h):
//   STATUS=12 up, 1 backing off   on changes of the services, at most one per kStatusEvery
//   READY=1                       once, when every normally-up service is up (ready where
//                                 readiness is configured); with none, once the main
//                                 command has started
//   STOPPING=1                    when the shutdown begins
//   EXTEND_TIMEOUT_USEC=N         during the shutdown, while it is within svinit's own stop
//                                 budget, so a long but orderly stop is not killed
//   WATCHDOG=1                    every half of WATCHDOG_USEC, when that is set
// Every timer exists only while it has work: with no watchdog, an idle svinit makes no
// wakeups for this.

#include <chrono>
#include <optional>
#include <string>

#include "core/event_loop.h"
#include "core/notify_sender.h"
#include "pid1/init.h"

namespace svinit::pid1 {

// A mass start changes thousands of statuses in a second; the manager hears of it this often.
inline constexpr core::Duration kStatusEvery = std::chrono::milliseconds(100);
// How often EXTEND_TIMEOUT_USEC is renewed during a shutdown (each grants twice this).
inline constexpr core::Duration kExtendEvery = std::chrono::seconds(5);

// The longest orderly shutdown svinit's own timeouts allow: the main command and the
// services TERM then KILL, their finish scripts, the loggers after them, my_init's shutdown
// scripts, and the final sweep's grace. `longest_service` is the longest stop of a service
// with timeouts of its own (TOML's [stop]); a long dependency chain stopping tier by tier
// can still take longer.
core::Duration stop_budget(const InitConfig& config, core::Duration longest_service = {});

class ManagerNotifier {
public:
    struct Options {
        core::NotifySender sender;
        std::optional<std::chrono::microseconds> watchdog;  // WATCHDOG_USEC
    };

    ManagerNotifier(core::EventLoop& loop, InitView& init, Options options);
    ManagerNotifier(const ManagerNotifier&) = delete;
    ManagerNotifier& operator=(const ManagerNotifier&) = delete;

    // Observes init and its supervisor and arms the watchdog. Call before init.start().
    core::Result<void> start();

private:
    void on_phase(Phase phase);
    void changed();
    void flush();
    void begin_stopping();
    void extend();
    void send(const std::string& message);

    core::EventLoop& loop_;
    InitView& init_;
    Options options_;
    InitView::PhaseObserverHandle phase_observer_;
    services::SupervisorApi::ObserverHandle service_observer_;
    core::TimerHandle status_timer_;    // only while a change waits to be told
    core::TimerHandle watchdog_timer_;  // only with WATCHDOG_USEC
    core::TimerHandle extend_timer_;    // only during a shutdown within the budget
    std::optional<core::TimePoint> last_flush_;
    core::TimePoint stop_deadline_{};
    std::string last_status_;
    bool ready_sent_ = false;
    bool stopping_ = false;
    bool failure_logged_ = false;
};

}  // namespace svinit::pid1
