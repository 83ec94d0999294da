#include "services/service_fsm.h"

#include <csignal>
#include <limits>

namespace svinit::services {

namespace {

// Collects the next state and the actions of one step. Its helpers are the starred
// procedures of the table in service_fsm.h.
struct Builder {
    ServiceState s;
    std::vector<Action> actions;
    TimePoint now;
    const Policy& policy;

    void enter(State to) {
        if (to == s.state) return;
        actions.emplace_back(Notify{s.state, to});
        s.state = to;
        s.since = now;
        if (to != State::Backoff && to != State::Failed) s.fail_reason = FailReason::None;
    }

    void arm(TimerPurpose purpose, Duration after) {
        const TimePoint deadline = now + after;
        s.timer = ArmedTimer{purpose, deadline};
        actions.emplace_back(ArmTimer{deadline, purpose});
    }

    void cancel_timer() {
        if (!s.timer) return;
        s.timer.reset();
        actions.emplace_back(CancelTimer{});
    }

    void signal(int sig) { actions.emplace_back(Signal{sig}); }

    void count_failure() {
        if (s.failures != std::numeric_limits<unsigned>::max()) ++s.failures;
    }

    void spawn() {
        s.run_started = now;
        s.paused = false;
        s.exit_requested = false;
        actions.emplace_back(Spawn{});
        enter(policy.wait_ready ? State::Starting : State::Run);
    }

    // want up / once from down or failed: the operator asked, so the backoff starts afresh.
    void explicit_start(Want want) {
        s.want = want;
        s.failures = 0;
        spawn();
    }

    // runit's 'd': TERM, then CONT so a stopped process can act on it.
    void stop() {
        s.want = Want::Down;
        signal(SIGTERM);
        signal(SIGCONT);
        s.paused = false;
        arm(TimerPurpose::Stop, policy.stop_timeout);
        enter(State::Stopping);
    }

    void go_down() {
        if (s.want == Want::Once) s.want = Want::Down;  // the one run is over
        enter(State::Down);
    }

    void back_off(FailReason reason) {
        arm(TimerPurpose::Backoff, backoff_delay(s.failures, policy.backoff));
        enter(State::Backoff);
        s.fail_reason = reason;
    }

    void run_exited(const ExitStatus& status) {
        cancel_timer();  // the stop timer, if stopping and not yet fired
        s.exit_requested = s.state == State::Stopping;
        s.last_exit = status;
        s.last_run = now - s.run_started;
        s.paused = false;
        if (!policy.has_finish) return after_run();
        const bool killed = status.kind == ExitStatus::Kind::Signaled;
        actions.emplace_back(SpawnFinish{killed ? -1 : status.value, killed ? status.value : 0});
        arm(TimerPurpose::Finish, policy.finish_timeout);
        enter(State::Finish);
    }

    // Run never existed, so there is nothing for finish to clean up after.
    void spawn_failed(int error) {
        cancel_timer();
        s.exit_requested = false;
        s.last_run = Duration::zero();
        s.paused = false;
        s.spawn_error = error;
        count_failure();
        if (s.want == Want::Up) return back_off(FailReason::SpawnFailed);
        go_down();
    }

    void finish_done() {
        cancel_timer();
        const bool no_restart = s.last_finish && s.last_finish->kind == ExitStatus::Kind::Exited &&
                                s.last_finish->value == 125;
        if (no_restart && s.want == Want::Up) {
            enter(State::Failed);
            s.fail_reason = FailReason::FinishSaidNoRestart;
            return;
        }
        after_run();
    }

    // Run and finish are both gone: restart, back off, or rest.
    void after_run() {
        if (s.want != Want::Up) return go_down();
        if (s.exit_requested) {  // stopped, then wanted up again: a restart asked for
            s.failures = 0;
            return spawn();
        }
        if (s.last_run >= policy.min_healthy_run) {
            s.failures = 0;
            ++s.restarts;
            return spawn();
        }
        count_failure();
        back_off(FailReason::ExitedQuickly);
    }

    bool timer_is(TimerPurpose purpose) const { return s.timer && s.timer->purpose == purpose; }
};

// One handler per event; each switches over every state, with no default, so that
// -Wswitch-enum names any state a new event forgets.
struct Handlers {
    Builder& b;

    void operator()(const WantUp&) {
        switch (b.s.state) {
            case State::Down:
            case State::Failed:
                return b.explicit_start(Want::Up);
            case State::Starting:
            case State::Run:
            case State::Stopping:
            case State::Finish:
            case State::Backoff:
                b.s.want = Want::Up;
                return;
        }
    }

    void operator()(const WantDown&) {
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
                return b.stop();
            case State::Backoff:
                b.cancel_timer();
                b.s.want = Want::Down;
                return b.enter(State::Down);
            case State::Failed:
                b.s.want = Want::Down;
                return b.enter(State::Down);
            case State::Down:
            case State::Stopping:
            case State::Finish:  // finish runs to its end; then down
                b.s.want = Want::Down;
                return;
        }
    }

    void operator()(const WantOnce&) {
        switch (b.s.state) {
            case State::Down:
            case State::Failed:
                return b.explicit_start(Want::Once);
            case State::Starting:
            case State::Run:
            case State::Stopping:
            case State::Finish:
            case State::Backoff:  // the pending spawn is the one run
                b.s.want = Want::Once;
                return;
        }
    }

    void operator()(const ChildExited& e) {
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
            case State::Stopping:
                return b.run_exited(e.status);
            case State::Down:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;  // no run process: stale
        }
    }

    void operator()(const SpawnFailed& e) {
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
            case State::Stopping:
                return b.spawn_failed(e.error);
            case State::Down:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;
        }
    }

    void operator()(const FinishExited& e) {
        if (b.s.state != State::Finish) return;
        b.s.last_finish = e.status;
        b.finish_done();
    }

    void operator()(const FinishSpawnFailed&) {
        if (b.s.state != State::Finish) return;
        b.s.last_finish.reset();
        b.finish_done();
    }

    void operator()(const TimerFired& e) {
        if (!b.timer_is(e.purpose)) return;  // stale: not the timer we armed
        switch (b.s.state) {
            case State::Stopping:
                b.s.timer.reset();
                return b.signal(SIGKILL);
            case State::Finish:
                b.s.timer.reset();
                b.actions.emplace_back(SignalFinish{SIGKILL});
                return;
            case State::Backoff:
                b.s.timer.reset();
                ++b.s.restarts;
                return b.spawn();
            case State::Down:
            case State::Starting:
            case State::Run:
            case State::Failed:
                return;  // these states never keep a timer
        }
    }

    void operator()(const Ready&) {
        if (b.s.state == State::Starting) b.enter(State::Run);
    }

    void operator()(const Pause&) {
        const bool running = b.s.state == State::Starting || b.s.state == State::Run;
        if (!running || b.s.paused) return;
        b.s.paused = true;
        b.signal(SIGSTOP);
    }

    void operator()(const Continue&) {
        const bool alive =
            b.s.state == State::Starting || b.s.state == State::Run || b.s.state == State::Stopping;
        if (!alive || !b.s.paused) return;
        b.s.paused = false;
        b.signal(SIGCONT);
    }
};

}  // namespace

ServiceState initial_state(bool normally_down, TimePoint now) {
    ServiceState s;
    s.normally_down = normally_down;
    s.since = now;
    return s;
}

Transition start(bool normally_down, TimePoint now, const Policy& policy) {
    const ServiceState s = initial_state(normally_down, now);
    if (normally_down) return Transition{s, {}, false};
    return step(s, WantUp{}, now, policy);
}

Transition step(const ServiceState& state, const Event& event, TimePoint now,
                const Policy& policy) {
    Builder b{state, {}, now, policy};
    std::visit(Handlers{b}, event);
    const bool ignored = b.actions.empty() && b.s == state;
    return Transition{std::move(b.s), std::move(b.actions), ignored};
}

std::string_view to_string(State state) noexcept {
    switch (state) {
        case State::Down:
            return "down";
        case State::Starting:
            return "starting";
        case State::Run:
            return "run";
        case State::Stopping:
            return "stopping";
        case State::Finish:
            return "finish";
        case State::Backoff:
            return "backoff";
        case State::Failed:
            return "failed";
    }
    return "?";
}

std::string_view to_string(Want want) noexcept {
    switch (want) {
        case Want::Up:
            return "up";
        case Want::Down:
            return "down";
        case Want::Once:
            return "once";
    }
    return "?";
}

std::string_view to_string(TimerPurpose purpose) noexcept {
    switch (purpose) {
        case TimerPurpose::Stop:
            return "stop";
        case TimerPurpose::Finish:
            return "finish";
        case TimerPurpose::Backoff:
            return "backoff";
    }
    return "?";
}

std::string_view to_string(FailReason reason) noexcept {
    switch (reason) {
        case FailReason::None:
            return "";
        case FailReason::ExitedQuickly:
            return "exited quickly";
        case FailReason::SpawnFailed:
            return "spawn failed";
        case FailReason::FinishSaidNoRestart:
            return "finish exited 125 (do not restart)";
    }
    return "?";
}

std::string_view event_name(const Event& event) noexcept {
    struct Names {
        std::string_view operator()(const WantUp&) const { return "want up"; }
        std::string_view operator()(const WantDown&) const { return "want down"; }
        std::string_view operator()(const WantOnce&) const { return "want once"; }
        std::string_view operator()(const ChildExited&) const { return "child exited"; }
        std::string_view operator()(const SpawnFailed&) const { return "spawn failed"; }
        std::string_view operator()(const FinishExited&) const { return "finish exited"; }
        std::string_view operator()(const FinishSpawnFailed&) const {
            return "finish spawn failed";
        }
        std::string_view operator()(const TimerFired&) const { return "timer fired"; }
        std::string_view operator()(const Ready&) const { return "ready"; }
        std::string_view operator()(const Pause&) const { return "pause"; }
        std::string_view operator()(const Continue&) const { return "continue"; }
    };
    return std::visit(Names{}, event);
}

}  // namespace svinit::services
