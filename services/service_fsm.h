#pragma once
// The state machine of one supervised service, as a pure function:
//
//     step(state, event, now, policy) -> {next state, actions}
//
// It never spawns, signals, logs or reads a clock. The Supervisor turns loop callbacks
// into Events, calls step(), keeps `next`, and carries out the Actions in order.
//
// States (runit's down / run / finish, plus s6-like refinements):
//   down      no process; stays down until want up / once
//   starting  run spawned, readiness configured and not yet signalled
//   run       run is up (and ready, when readiness is configured)
//   stopping  run got TERM+CONT because want went down; waiting for it to exit
//   finish    run is gone, finish is running (with runit's $1 $2)
//   backoff   run failed quickly; waiting for the backoff timer before spawning again
//   failed    finish exited 125 ("do not restart", s6's rule); want stays up but nothing
//             is spawned until an explicit want up / once
//
// Transitions ("-" = ignored; an event that changes nothing and asks for nothing sets
// Transition::ignored. Every change of state emits Notify{from, to} and sets `since`):
//
// Wants (the operator's commands):
//
// state    | WantUp                  | WantDown                    | WantOnce
// ---------+-------------------------+-----------------------------+---------------------------
// down     | Spawn -> start(*)       | want=down                   | Spawn -> start(*)
// starting | want=up                 | TERM, CONT, arm stop        | want=once
//          |                         |   -> stopping               |
// run      | want=up                 | TERM, CONT, arm stop        | want=once
//          |                         |   -> stopping               |
// stopping | want=up (respawn after) | want=down                   | want=once
// finish   | want=up                 | want=down (finish runs on)  | want=once
// backoff  | want=up (timer decides) | cancel timer -> down        | want=once (spawns once more)
// failed   | Spawn -> start(*)       | want=down -> down           | Spawn -> start(*)
//
// Happenings (processes and timers):
//
// state    | ChildExited / SpawnFailed | FinishExited / FinishSpawnFailed | TimerFired  | Ready
// ---------+---------------------------+----------------------------------+-------------+-------
// down     | -                         | -                                | -           | -
// starting | exited(*) / failure(*)    | -                                | -           | -> run
// run      | exited(*) / failure(*)    | -                                | -           | -
// stopping | exited(*) / failure(*)    | -                                | stop: KILL  | -
//          |   (stop timer cancelled)  |                                  |   run       |
// finish   | -                         | cancel finish timer; exit 125    | finish:     | -
//          |                           |   with want up -> failed,        |   KILL      |
//          |                           |   else after(*)                  |   finish    |
// backoff  | -                         | -                                | backoff:    | -
//          |                           |                                  | restarts+1, |
//          |                           |                                  | Spawn ->    |
//          |                           |                                  |   start(*)  |
// failed   | -                         | -                                | -           | -
//
// Pause (STOP) works in starting/run; Continue (CONT) in starting/run/stopping while paused;
// elsewhere both are ignored. A timer event whose purpose is not the armed timer's is stale
// and ignored.
//
// (*) start:   -> starting when policy.wait_ready, else -> run. An explicit start (from
//              down/failed) clears the consecutive-failure count.
//     exited:  record last_exit and how long run lived; with policy.has_finish:
//              SpawnFinish{$1, $2}, arm finish timer -> finish ($1 = exit code or -1 if
//              killed by a signal, $2 = signal number or 0); without one: after.
//     after:   run and finish are both gone. want up: if the exit was asked for (stopping,
//              then want up again: a restart) Spawn at once; else if the run lasted at least
//              min_healthy_run: failures=0, restarts+1, Spawn at once; else failures+1, arm
//              backoff_delay(failures) -> backoff. want down / once: -> down (once becomes
//              down: the one run is over).
//     failure: a spawn that failed never ran, so no finish script: failures+1, then want
//              up: arm backoff -> backoff; want down / once: -> down.
//
// Timers: a service has at most one. ArmTimer replaces any armed timer; CancelTimer
// cancels it. The state records the armed one, so a late TimerFired is recognised.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "core/exit_status.h"
#include "services/backoff.h"

namespace svinit::services {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using core::ExitStatus;

enum class State { Down, Starting, Run, Stopping, Finish, Backoff, Failed };
enum class Want { Up, Down, Once };
enum class TimerPurpose { Stop, Finish, Backoff };

// Why the service is in backoff or failed; None in every other state.
enum class FailReason { None, ExitedQuickly, SpawnFailed, FinishSaidNoRestart };

// Per-service settings, from the ServiceSpec.
struct Policy {
    bool has_finish = false;  // ./finish exists and is executable
    bool wait_ready = false;  // readiness is configured: spawn -> starting, Ready -> run
    Duration min_healthy_run = std::chrono::seconds(1);
    Duration finish_timeout = std::chrono::seconds(5);
    Duration stop_timeout = std::chrono::seconds(10);
    BackoffPolicy backoff;
};

struct ArmedTimer {
    TimerPurpose purpose = TimerPurpose::Backoff;
    TimePoint deadline{};
    bool operator==(const ArmedTimer&) const = default;
};

struct ServiceState {
    State state = State::Down;
    Want want = Want::Down;
    bool normally_down = false;             // the service directory has a `down` file
    bool paused = false;                    // run got STOP and no CONT since
    TimePoint since{};                      // last change of `state`
    TimePoint run_started{};                // when run was last spawned
    Duration last_run{};                    // how long the last run lasted, spawn to exit
    std::optional<ExitStatus> last_exit;    // of run
    std::optional<ExitStatus> last_finish;  // of finish
    bool exit_requested = false;            // the last run exit followed our TERM (stopping)
    std::optional<ArmedTimer> timer;
    unsigned failures = 0;       // consecutive quick failures (drives the backoff)
    std::uint64_t restarts = 0;  // automatic respawns since supervision began
    FailReason fail_reason = FailReason::None;
    int spawn_error = 0;  // errno of the last failed spawn, with FailReason::SpawnFailed

    bool operator==(const ServiceState&) const = default;
};

// ---- Events: what happened. The supervisor sends exactly one of ChildExited or
// SpawnFailed per Spawn, and one of FinishExited or FinishSpawnFailed per SpawnFinish.
struct WantUp {};
struct WantDown {};
struct WantOnce {};  // start if down; never restart
struct ChildExited {
    ExitStatus status;
};
struct SpawnFailed {
    int error = 0;  // errno, e.g. ENOENT from execve
};
struct FinishExited {
    ExitStatus status;
};
struct FinishSpawnFailed {
    int error = 0;
};
struct TimerFired {
    TimerPurpose purpose = TimerPurpose::Backoff;
};
struct Ready {};
struct Pause {};
struct Continue {};

using Event = std::variant<WantUp, WantDown, WantOnce, ChildExited, SpawnFailed, FinishExited,
                           FinishSpawnFailed, TimerFired, Ready, Pause, Continue>;

// ---- Actions: what the supervisor must do, in order.
struct Spawn {
    bool operator==(const Spawn&) const = default;
};
struct SpawnFinish {
    int exit_code_arg = 0;  // $1: exit code, or -1 if run was killed by a signal
    int signal_arg = 0;     // $2: the signal number, 0 for a normal exit
    bool operator==(const SpawnFinish&) const = default;
};
struct Signal {  // to the run process
    int sig = 0;
    bool operator==(const Signal&) const = default;
};
struct SignalFinish {  // to the finish process
    int sig = 0;
    bool operator==(const SignalFinish&) const = default;
};
struct ArmTimer {  // replaces any armed timer of this service
    TimePoint deadline{};
    TimerPurpose purpose = TimerPurpose::Backoff;
    bool operator==(const ArmTimer&) const = default;
};
struct CancelTimer {
    bool operator==(const CancelTimer&) const = default;
};
struct Notify {  // the state changed: wake waiters, rewrite status
    State from = State::Down;
    State to = State::Down;
    bool operator==(const Notify&) const = default;
};

using Action =
    std::variant<Spawn, SpawnFinish, Signal, SignalFinish, ArmTimer, CancelTimer, Notify>;

struct Transition {
    ServiceState next;
    std::vector<Action> actions;
    bool ignored = false;  // the event meant nothing in this state (stale or redundant)
};

// The state before supervision starts: down, want down, since = now.
ServiceState initial_state(bool normally_down, TimePoint now);

// Begins supervising: stays down for a normally-down service, else acts as WantUp.
Transition start(bool normally_down, TimePoint now, const Policy& policy);

Transition step(const ServiceState& state, const Event& event, TimePoint now, const Policy& policy);

// runit-ish words for status: "down", "starting", "run", "stopping", "finish", "backoff",
// "failed".
std::string_view to_string(State state) noexcept;
std::string_view to_string(Want want) noexcept;             // "up", "down", "once"
std::string_view to_string(TimerPurpose purpose) noexcept;  // "stop", "finish", "backoff"
std::string_view to_string(FailReason reason) noexcept;
std::string_view event_name(const Event& event) noexcept;  // "want up", "child exited", …

}  // namespace svinit::services
