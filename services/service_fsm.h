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
//   stopping  run is being stopped because want went down (or a restart): control/t
//             runs, or run got TERM+CONT; waiting for it to exit
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
// state    | WantUp / Restart         | WantDown                    | WantOnce
// ---------+--------------------------+-----------------------------+--------------------------
// down     | start(*) want=up         | want=down                   | start(*) want=once
// starting | want=up / up+stop(*)     | want=down, stop(*)          | want=once
// run      | want=up / up+stop(*)     | want=down, stop(*)          | want=once
// stopping | want=up (respawn after)  | want=down                   | want=once
// finish   | want=up                  | want=down (finish runs on)  | want=once
// backoff  | want=up (timer decides)  | cancel timer -> down        | want=once (spawns once more)
// failed   | start(*) want=up         | want=down -> down           | start(*) want=once
//
// Signals (the operator's pause, cont, term, kill, hup, ... commands):
//
// state              | Pause                    | Continue                | SendSignal{sig}
// -------------------+--------------------------+-------------------------+-----------------
// starting, run      | unless paused: paused,   | if paused or control/c: | signal(*) sig
//                    |   signal(*) STOP         |   unpaused, signal(*)   |
//                    |                          |   CONT                  |
// stopping           | -                        | as above                | signal(*) sig
// other states       | -                        | -                       | -
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
//          |                           |                                  | start(*)    |
// failed   | -                         | -                                | -           | -
//
// A timer event whose purpose is not the armed timer's is stale and ignored.
//
// runit's control scripts (SERVICE/control/C, runsv(8)): policy.control_scripts names the
// ones the service has; a control script runs beside the state above (ServiceState::control),
// one at a time, and its end is an event:
//
//   ControlExited      exit 0 is success; any other exit, or a signal, is failure
//   ControlSpawnFailed failure
//   ControlTimedOut    its deadline (now + stop_timeout at its start) passed: KillControl,
//                      then failure
//
// then, by what it was run for:
//   signal C (t k h a i q 1 2 p c):  on failure the signal is sent, if the same run is
//                                    still there; on success it is not
//   stop (control/t of a stop):      on failure TERM; then CONT, arm stop (if the same run
//                                    is still there), and control/d (x for exit) if the
//                                    service has it (a restart runs none); d/x's exit is
//                                    ignored
//   spawn (control/u):               its exit is ignored; run is spawned if still wanted
// and then, whatever it was run for: a service that is down and wanted up or once is
// started (start(*)), so what was decided while the script ran is carried out.
// While a control script runs, the operator's commands wait in order (Transition::
// deferred) until it ends, as runsv reads no command while its script runs; only in state
// down do the wants take effect at once (they only set want: nothing runs to act on).
//
// (*) start:   want up / once from down or failed clears the consecutive-failure count;
//              then spawn.
//     spawn:   while a control script runs: -> down (started when it ends); with
//              control/u: run it -> down; else Spawn -> starting when policy.wait_ready,
//              else -> run.
//     stop:    -> stopping; with control/t: run it (stop, above); else TERM, CONT, arm
//              stop, and control/d (x) if the service has it.
//     signal:  with control/C for the signal's letter, run it (signal, above); else send
//              the signal.
//     exited:  record last_exit and how long run lived; with policy.has_finish:
//              SpawnFinish{$1, $2}, arm finish timer -> finish ($1 = exit code or -1 if
//              killed by a signal, $2 = signal number or 0); without one: after.
//     after:   run and finish are both gone. want up: if the exit was asked for (stopping,
//              then want up again: a restart) spawn at once; else if the run lasted at least
//              min_healthy_run: failures=0, restarts+1, spawn at once; else failures+1, arm
//              backoff_delay(failures) -> backoff. want down / once: -> down (once becomes
//              down: the one run is over).
//     failure: a spawn that failed never ran, so no finish script: failures+1, then want
//              up: arm backoff -> backoff; want down / once: -> down.
//
// TOML services add (policy; a runit service keeps the defaults, which change nothing):
//   restart policy  in after: a run that exited 0 under on-failure or never -> down, want
//                   down (its work is done); a failed one under never -> failed
//                   (NoRestart); otherwise as above.
//   start limit     an automatic spawn (after, the backoff timer) when burst spawns
//                   happened within interval -> failed (StartLimit), until want up/once.
//                   An explicit start forgets the count.
//   oneshot         spawn -> starting; run exiting 0 while starting -> run with no
//                   process (`done`): want down -> down, restart runs it again; signals
//                   are ignored. A failing exit goes through after as any other.
//   readiness       with wait_ready and ready_timeout, spawn arms the ready timer; Ready
//                   cancels it. Fired while starting: stop(*) (want stays up), and the
//                   exit counts as a quick failure (NotReady) that backs off. NotReady
//                   (the readiness checks gave up) while starting does the same at once.
//   health          Unhealthy while run (with a process): stop(*) (want stays up), and
//                   the exit counts as a failure (Unhealthy) that backs off; ignored in
//                   every other state (a late word about a run that is gone).
//   dependencies    DepsChanged sets deps_open. spawn while closed -> starting with
//                   `waiting` (no process); opening then spawns. Blocked while starting or
//                   run -> stop (want stays up: it restarts, and waits, after the exit);
//                   while backing off -> cancel the timer, waiting. Want down while
//                   waiting -> down.
//   stop signal     stop sends policy.stop_signal (not TERM); with kill_group the stop
//                   signal, CONT and the final KILL go to run's process group.
//
// Timers: a service has at most one. ArmTimer replaces any armed timer; CancelTimer
// cancels it. The state records the armed one, so a late TimerFired is recognised. A
// control script's deadline is its own: RunControl carries it, and the executor's timer for
// it lives exactly as long as the script.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/exit_status.h"
#include "services/backoff.h"
#include "services/service_spec.h"

namespace svinit::services {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using core::ExitStatus;

enum class State { Down, Starting, Run, Stopping, Finish, Backoff, Failed };
enum class Want { Up, Down, Once };
enum class TimerPurpose { Stop, Finish, Backoff, Ready };

// Why the service is in backoff or failed; None in every other state.
enum class FailReason {
    None,
    ExitedQuickly,
    SpawnFailed,
    FinishSaidNoRestart,
    StartLimit,  // more automatic starts than the start limit allows: failed
    NoRestart,   // exited with a failure under restart policy never
    NotReady,    // not ready within the readiness timeout (or its checks gave up):
                 // stopped, backing off
    Unhealthy,   // its health check failed `failures` times in a row: stopped, backing off
};

// Per-service settings, from the ServiceSpec.
struct Policy {
    bool has_finish = false;  // ./finish exists and is executable
    bool wait_ready = false;  // readiness is configured: spawn -> starting, Ready -> run
    Duration ready_timeout{};  // with wait_ready: not ready by then is a failed start (0: none)
    Duration min_healthy_run = std::chrono::seconds(1);
    Duration finish_timeout = std::chrono::seconds(5);
    Duration stop_timeout = std::chrono::seconds(10);  // also each control script's limit
    BackoffPolicy backoff;
    // The letters C of the runit control scripts (control/C) the service has, e.g. "dt".
    std::string control_scripts;

    // TOML's [restart] and [stop] and type (runit services keep the defaults: always, no
    // start limit, TERM to the process).
    RestartPolicy restart = RestartPolicy::Always;
    std::optional<StartLimit> start_limit;
    bool oneshot = false;     // type oneshot: starting until run exits 0, then run
    int stop_signal = SIGTERM;
    bool kill_group = false;  // the stop signal, CONT and KILL go to run's process group

    bool has_control(char script) const noexcept {
        return script != 0 && control_scripts.find(script) != std::string::npos;
    }
};

// What a control script's exit decides (see the table above).
enum class ControlThen { Signal, Stop, Spawn, Nothing };

// A control script (runsv's control/C) that runs, and what follows its exit.
struct ControlRun {
    char script = 0;  // C of control/C
    ControlThen then = ControlThen::Nothing;
    int sig = 0;               // Signal: sent unless the script exits 0
    char after = 0;            // Stop: the script to run after TERM and CONT ('d', 'x'), or 0
    std::uint64_t run_id = 0;  // Signal, Stop: the run it is about
    TimePoint deadline{};
    bool operator==(const ControlRun&) const = default;
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
    std::uint64_t run_id = 0;           // counts spawns of run: names the run a script is about
    std::optional<ControlRun> control;  // a control script that runs
    // Oneshot: run exited 0 and the service is up with no process.
    bool done = false;
    // Dependencies (DepsChanged): whether they let run start now, and whether the service
    // is in starting only waiting for them (no process yet).
    bool deps_open = true;
    bool waiting = false;
    bool ready_failed = false;   // this run was stopped for not getting ready in time
    bool health_failed = false;  // this run was stopped for failing its health checks
    // Spawns counted by the start limit, oldest first; at most burst + 1 are kept.
    std::vector<TimePoint> recent_starts;

    bool operator==(const ServiceState&) const = default;
};

// ---- Events: what happened. The supervisor sends exactly one of ChildExited or
// SpawnFailed per Spawn, and one of FinishExited or FinishSpawnFailed per SpawnFinish.
struct WantUp {};
struct WantDown {
    bool exit = false;  // runit's 'x': control/x instead of control/d after the stop
};
struct WantOnce {};  // start if down; never restart
struct Restart {};   // stop run and start it again at once, wanting up
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
// The readiness checks (exec, tcp) gave up: `retries` tries failed.
struct NotReady {};
// The health checks failed `failures` times in a row.
struct Unhealthy {};
struct Pause {};
struct Continue {};
struct SendSignal {  // the operator's term, kill, hup, int, quit, usr1, usr2, alarm
    int sig = 0;
};
struct ControlExited {
    ExitStatus status;
};
struct ControlSpawnFailed {
    int error = 0;
};
struct ControlTimedOut {};
// What the service's dependencies say now (services/dep_graph.h's start gate): open, run
// may start; closed, a spawn waits in starting until it opens; blocked (a required one
// stopped or failed for good), a running run is stopped too, and started again once open.
struct DepsChanged {
    bool open = true;
    bool blocked = false;
};

using Event = std::variant<WantUp, WantDown, WantOnce, Restart, ChildExited, SpawnFailed,
                           FinishExited, FinishSpawnFailed, TimerFired, Ready, Pause, Continue,
                           SendSignal, ControlExited, ControlSpawnFailed, ControlTimedOut,
                           DepsChanged, NotReady, Unhealthy>;

// The operator's commands, which wait while a control script runs.
bool is_command(const Event& event) noexcept;

// runsv's control letter for a signal command: t k h a i q 1 2 (p c for STOP, CONT);
// 0 for any other signal.
char control_letter(int sig) noexcept;

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
    bool group = false;  // to its process group (a stop under kill = "group")
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
struct RunControl {  // start control/SCRIPT, and end it with ControlTimedOut at deadline
    char script = 0;
    TimePoint deadline{};
    bool operator==(const RunControl&) const = default;
};
struct KillControl {  // KILL the control script and forget it (reaped as an orphan)
    bool operator==(const KillControl&) const = default;
};

using Action = std::variant<Spawn, SpawnFinish, Signal, SignalFinish, ArmTimer, CancelTimer,
                            Notify, RunControl, KillControl>;

struct Transition {
    ServiceState next;
    std::vector<Action> actions;
    bool ignored = false;   // the event meant nothing in this state (stale or redundant)
    bool deferred = false;  // a command that waits until the control script ends
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
