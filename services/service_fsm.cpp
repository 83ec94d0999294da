#include "services/service_fsm.h"

#include <csignal>
#include <limits>

namespace svinit::services {

namespace {

bool alive(State state) {
    switch (state) {
        case State::Starting:
        case State::Run:
        case State::Stopping:
            return true;
        case State::Down:
        case State::Finish:
        case State::Backoff:
        case State::Failed:
            return false;
    }
    return false;
}

bool exited_zero(const ExitStatus& status) {
    return status.kind == ExitStatus::Kind::Exited && status.value == 0;
}

// Collects the next state and the actions of one step. Its helpers are the starred
// procedures of the table in service_fsm.h.
struct Builder {
    ServiceState s;
    std::vector<Action> actions;
    TimePoint now;
    const Policy& policy;
    bool deferred = false;

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

    void send(int sig) { actions.emplace_back(Signal{sig}); }
    // A signal of a stop: to the process group under kill = "group".
    void send_stop(int sig) { actions.emplace_back(Signal{sig, policy.kill_group}); }

    void count_failure() {
        if (s.failures != std::numeric_limits<unsigned>::max()) ++s.failures;
    }

    // Starts control/SCRIPT; its end comes back as ControlExited, ControlSpawnFailed or
    // ControlTimedOut.
    void run_control(char script, ControlThen then, int sig = 0, char after = 0) {
        const TimePoint deadline = now + policy.stop_timeout;
        s.control = ControlRun{script, then, sig, after, s.run_id, deadline};
        actions.emplace_back(RunControl{script, deadline});
    }

    bool same_run(const ControlRun& c) const { return alive(s.state) && s.run_id == c.run_id; }

    void spawn_now() {
        if (!s.deps_open) {  // wait in starting for the dependencies
            s.waiting = true;
            return enter(State::Starting);
        }
        s.waiting = false;
        s.run_started = now;
        s.paused = false;
        s.exit_requested = false;
        s.done = false;
        ++s.run_id;
        if (policy.start_limit) {
            s.recent_starts.push_back(now);
            if (s.recent_starts.size() > policy.start_limit->burst + 1) {
                s.recent_starts.erase(s.recent_starts.begin());
            }
        }
        s.ready_failed = false;
        s.health_failed = false;
        actions.emplace_back(Spawn{});
        enter(policy.wait_ready || policy.oneshot ? State::Starting : State::Run);
        if (policy.wait_ready && policy.ready_timeout > Duration::zero()) {
            arm(TimerPurpose::Ready, policy.ready_timeout);
        }
    }

    // An automatic start (a restart, the end of a backoff): refused, and the service
    // failed for good, once the start limit's burst was spent within its interval.
    void auto_spawn() {
        if (policy.start_limit) {
            const auto& limit = *policy.start_limit;
            std::erase_if(s.recent_starts,
                          [&](TimePoint t) { return now - t >= limit.interval; });
            if (s.recent_starts.size() >= limit.burst) {
                cancel_timer();
                enter(State::Failed);
                s.fail_reason = FailReason::StartLimit;
                return;
            }
        }
        spawn();
    }

    // Run starts after control/u when the service has one (runsv runs it before every
    // start), and never while another control script runs: its end starts run then.
    void spawn() {
        if (s.control) return enter(State::Down);
        if (policy.has_control('u')) {
            enter(State::Down);
            return run_control('u', ControlThen::Spawn);
        }
        spawn_now();
    }

    // want up / once from down or failed: the operator asked, so the backoff starts afresh.
    void explicit_start(Want want) {
        s.want = want;
        s.failures = 0;
        s.recent_starts.clear();
        spawn();
    }

    // runsv's stopservice(): control/t or TERM, then CONT so a stopped process can act on
    // it, then control/d (x). `after` is 0 for a restart, which runs neither d nor x.
    void stop(char after) {
        if (timer_is(TimerPurpose::Ready)) cancel_timer();  // the stop timer replaces it
        if (policy.has_control('t')) {
            enter(State::Stopping);
            return run_control('t', ControlThen::Stop, SIGTERM, after);
        }
        term_sent(true);
        enter(State::Stopping);
        if (policy.has_control(after)) run_control(after, ControlThen::Nothing);
    }

    // What follows control/t (or its absence) in a stop.
    void term_sent(bool term) {
        if (term) send_stop(policy.stop_signal);
        send_stop(SIGCONT);
        s.paused = false;
        if (!s.timer) arm(TimerPurpose::Stop, policy.stop_timeout);
    }

    // A signal command: control/C for its letter when the service has one, else the signal.
    void signal(int sig) {
        const char letter = control_letter(sig);
        if (policy.has_control(letter)) return run_control(letter, ControlThen::Signal, sig);
        send(sig);
    }

    void control_done(bool success) {
        const ControlRun c = *s.control;
        s.control.reset();
        switch (c.then) {
            case ControlThen::Signal:
                if (!success && same_run(c)) send(c.sig);
                break;
            case ControlThen::Stop:
                if (same_run(c)) term_sent(!success);
                if (policy.has_control(c.after)) return run_control(c.after, ControlThen::Nothing);
                break;
            case ControlThen::Spawn:
                if (s.state == State::Down && s.want != Want::Down) return spawn_now();
                break;
            case ControlThen::Nothing:
                break;
        }
        // What was decided while the script ran: a service down and wanted starts now.
        if (s.state == State::Down && s.want != Want::Down) spawn();
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
        if (policy.oneshot && s.state == State::Starting && exited_zero(status)) {
            s.done = true;  // a setup step that did its work: up, with nothing running
            s.failures = 0;
            return enter(State::Run);
        }
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
        if (s.ready_failed) {  // stopped by us, but a failed start all the same
            s.ready_failed = false;
            count_failure();
            return back_off(FailReason::NotReady);
        }
        if (s.health_failed) {  // stopped by us for failing its health checks
            s.health_failed = false;
            count_failure();
            return back_off(FailReason::Unhealthy);
        }
        if (s.exit_requested) {  // stopped, then wanted up again: a restart asked for
            s.failures = 0;
            return spawn();
        }
        const bool clean = s.last_exit && exited_zero(*s.last_exit);
        if (clean && policy.restart != RestartPolicy::Always) {  // done, as it should be
            s.want = Want::Down;
            return enter(State::Down);
        }
        if (policy.restart == RestartPolicy::Never) {
            enter(State::Failed);
            s.fail_reason = FailReason::NoRestart;
            return;
        }
        if (s.last_run >= policy.min_healthy_run) {
            s.failures = 0;
            ++s.restarts;
            return auto_spawn();
        }
        count_failure();
        back_off(FailReason::ExitedQuickly);
    }

    bool timer_is(TimerPurpose purpose) const { return s.timer && s.timer->purpose == purpose; }
};

// One handler per event; each switches over every state, with no default, so that
// -Wswitch-enum names any state a new event forgets. std::visit over a struct with no
// catch-all overload fails to compile when a new Event has no handler.
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

    void operator()(const WantDown& e) {
        if (b.s.waiting) {  // nothing runs yet
            b.s.want = Want::Down;
            b.s.waiting = false;
            return b.enter(State::Down);
        }
        if (b.s.done) {  // a oneshot that is up has nothing to stop
            b.s.want = Want::Down;
            b.s.done = false;
            return b.enter(State::Down);
        }
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
                b.s.want = Want::Down;
                return b.stop(e.exit ? 'x' : 'd');
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

    void operator()(const Restart&) {
        if (b.s.waiting) return;  // starts once the dependencies allow
        if (b.s.done) return b.explicit_start(Want::Up);  // run the oneshot again
        switch (b.s.state) {
            case State::Down:
            case State::Failed:
                return b.explicit_start(Want::Up);
            case State::Starting:
            case State::Run:
                b.s.want = Want::Up;
                return b.stop(0);
            case State::Stopping:  // respawned at once when it exits
            case State::Finish:
            case State::Backoff:
                b.s.want = Want::Up;
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
        switch (b.s.state) {
            case State::Finish:
                b.s.last_finish = e.status;
                return b.finish_done();
            case State::Down:
            case State::Starting:
            case State::Run:
            case State::Stopping:
            case State::Backoff:
            case State::Failed:
                return;  // no finish process: stale
        }
    }

    void operator()(const FinishSpawnFailed&) {
        switch (b.s.state) {
            case State::Finish:
                b.s.last_finish.reset();
                return b.finish_done();
            case State::Down:
            case State::Starting:
            case State::Run:
            case State::Stopping:
            case State::Backoff:
            case State::Failed:
                return;
        }
    }

    void operator()(const TimerFired& e) {
        if (!b.timer_is(e.purpose)) return;  // stale: not the timer we armed
        switch (b.s.state) {
            case State::Stopping:
                b.s.timer.reset();
                return b.send_stop(SIGKILL);
            case State::Finish:
                b.s.timer.reset();
                b.actions.emplace_back(SignalFinish{SIGKILL});
                return;
            case State::Backoff:
                b.s.timer.reset();
                ++b.s.restarts;
                return b.auto_spawn();
            case State::Starting:
                if (e.purpose != TimerPurpose::Ready) return;
                b.s.timer.reset();
                b.s.ready_failed = true;
                return b.stop(0);  // want stays up: backs off after the exit
            case State::Down:
            case State::Run:
            case State::Failed:
                return;  // these states never keep a timer
        }
    }

    void operator()(const Ready&) {
        if (b.s.waiting) return;  // not spawned yet: a stale word from a previous run
        switch (b.s.state) {
            case State::Starting:
                b.cancel_timer();  // the ready timer
                return b.enter(State::Run);
            case State::Down:
            case State::Run:
            case State::Stopping:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;
        }
    }

    void operator()(const NotReady&) {
        if (b.s.waiting) return;  // not spawned yet: a stale word from a previous run
        switch (b.s.state) {
            case State::Starting:
                b.s.ready_failed = true;
                return b.stop(0);  // cancels the ready timer; backs off after the exit
            case State::Down:
            case State::Run:
            case State::Stopping:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;
        }
    }

    void operator()(const Unhealthy&) {
        if (b.s.done || b.s.waiting) return;  // nothing runs to be unhealthy
        switch (b.s.state) {
            case State::Run:
                b.s.health_failed = true;
                return b.stop(0);  // want stays up: backs off after the exit
            case State::Down:
            case State::Starting:
            case State::Stopping:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;
        }
    }

    void operator()(const Pause&) {
        if (b.s.done || b.s.waiting) return;  // nothing runs: a oneshot up, or waiting
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
                if (b.s.paused) return;
                b.s.paused = true;
                return b.signal(SIGSTOP);
            case State::Down:
            case State::Stopping:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;
        }
    }

    void operator()(const Continue&) {
        if (b.s.done || b.s.waiting) return;  // nothing runs: a oneshot up, or waiting
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
            case State::Stopping:
                // runsv runs control/c on every 'c' to a running service.
                if (!b.s.paused && !b.policy.has_control('c')) return;
                b.s.paused = false;
                return b.signal(SIGCONT);
            case State::Down:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;
        }
    }

    void operator()(const SendSignal& e) {
        if (b.s.done || b.s.waiting) return;  // nothing runs: a oneshot up, or waiting
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
            case State::Stopping:
                return b.signal(e.sig);
            case State::Down:
            case State::Finish:
            case State::Backoff:
            case State::Failed:
                return;  // no run to signal
        }
    }

    // A control script's end, in whatever state run is: the script runs beside it.
    void operator()(const ControlExited& e) {
        if (!b.s.control) return;  // stale
        b.control_done(e.status.kind == ExitStatus::Kind::Exited && e.status.value == 0);
    }

    void operator()(const ControlSpawnFailed&) {
        if (!b.s.control) return;
        b.control_done(false);
    }

    void operator()(const ControlTimedOut&) {
        if (!b.s.control) return;
        b.actions.emplace_back(KillControl{});
        b.control_done(false);
    }

    void operator()(const DepsChanged& e) {
        b.s.deps_open = e.open;
        if (e.open) {
            if (b.s.waiting && !b.s.control) b.spawn_now();
            return;
        }
        if (!e.blocked) return;  // a running run keeps running; the next spawn waits
        if (b.s.waiting || b.s.want == Want::Down) return;
        switch (b.s.state) {
            case State::Starting:
            case State::Run:
                if (b.s.done) {
                    b.s.done = false;
                    b.s.waiting = true;
                    b.enter(State::Down);  // a Notify: the oneshot is no longer up
                    return b.enter(State::Starting);
                }
                return b.stop(0);  // want stays up: after the exit it waits
            case State::Backoff:
                b.cancel_timer();
                b.s.waiting = true;
                return b.enter(State::Starting);
            case State::Down:
            case State::Stopping:
            case State::Finish:
            case State::Failed:
                return;
        }
    }
};

// A command while a control script runs: in state down the wants only set want (the
// script's end starts what is wanted); anywhere else it waits for the script's end.
struct WhileControlRuns {
    Builder& b;

    void want(Want want, bool start) {
        b.s.want = want;
        if (start) b.s.failures = 0;
    }
    void operator()(const WantUp&) { want(Want::Up, true); }
    void operator()(const Restart&) { want(Want::Up, true); }
    void operator()(const WantOnce&) { want(Want::Once, true); }
    void operator()(const WantDown&) { want(Want::Down, false); }
    void operator()(const Pause&) {}     // nothing runs to pause,
    void operator()(const Continue&) {}  // to continue,
    void operator()(const SendSignal&) {}  // or to signal
    // Not commands: step() never sends these here.
    void operator()(const ChildExited&) {}
    void operator()(const SpawnFailed&) {}
    void operator()(const FinishExited&) {}
    void operator()(const FinishSpawnFailed&) {}
    void operator()(const TimerFired&) {}
    void operator()(const Ready&) {}
    void operator()(const ControlExited&) {}
    void operator()(const ControlSpawnFailed&) {}
    void operator()(const ControlTimedOut&) {}
    void operator()(const DepsChanged&) {}
    void operator()(const NotReady&) {}
    void operator()(const Unhealthy&) {}
};

}  // namespace

bool is_command(const Event& event) noexcept {
    return std::holds_alternative<WantUp>(event) || std::holds_alternative<WantDown>(event) ||
           std::holds_alternative<WantOnce>(event) || std::holds_alternative<Restart>(event) ||
           std::holds_alternative<Pause>(event) || std::holds_alternative<Continue>(event) ||
           std::holds_alternative<SendSignal>(event);
}

char control_letter(int sig) noexcept {
    switch (sig) {
        case SIGTERM:
            return 't';
        case SIGKILL:
            return 'k';
        case SIGHUP:
            return 'h';
        case SIGALRM:
            return 'a';
        case SIGINT:
            return 'i';
        case SIGQUIT:
            return 'q';
        case SIGUSR1:
            return '1';
        case SIGUSR2:
            return '2';
        case SIGSTOP:
            return 'p';
        case SIGCONT:
            return 'c';
        default:
            return 0;
    }
}

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
    if (state.control && is_command(event)) {
        if (state.state != State::Down) return Transition{state, {}, false, true};
        std::visit(WhileControlRuns{b}, event);
    } else {
        std::visit(Handlers{b}, event);
    }
    const bool ignored = b.actions.empty() && b.s == state;
    return Transition{std::move(b.s), std::move(b.actions), ignored, false};
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
        case TimerPurpose::Ready:
            return "ready";
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
        case FailReason::StartLimit:
            return "start limit hit";
        case FailReason::NoRestart:
            return "exited (restart policy never)";
        case FailReason::NotReady:
            return "not ready in time";
        case FailReason::Unhealthy:
            return "unhealthy";
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
        std::string_view operator()(const Restart&) const { return "restart"; }
        std::string_view operator()(const SendSignal&) const { return "signal"; }
        std::string_view operator()(const ControlExited&) const { return "control exited"; }
        std::string_view operator()(const ControlSpawnFailed&) const {
            return "control spawn failed";
        }
        std::string_view operator()(const ControlTimedOut&) const { return "control timed out"; }
        std::string_view operator()(const DepsChanged&) const { return "dependencies changed"; }
        std::string_view operator()(const NotReady&) const { return "not ready"; }
        std::string_view operator()(const Unhealthy&) const { return "unhealthy"; }
    };
    return std::visit(Names{}, event);
}

}  // namespace svinit::services
