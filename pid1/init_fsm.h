#pragma once
// The life of PID 1 as a pure function, like the service state machine:
//
//     step(state, event, policy) -> {next state, actions}
//
// It never spawns, signals, logs or reads a clock; Init (init.cpp) turns loop callbacks
// into Events, calls step(), keeps `next` and carries out the Actions in order.
//
// Phases, in the order a life goes through them (each may be skipped):
//   idle              before start
//   booting           my_init's startup scripts run
//   aborting_boot     a shutdown came while they ran: the running script is being stopped
//   running           the main command (when there is one) and the services run
//   stopping_main     my_init only: the main command got SIGTERM; nothing else stops
//                     before it is gone
//   pre_shutdown      /etc/my_init.pre_shutdown.d/* run
//   stopping_services every service is told down; waiting for them, their finish
//                     scripts and loggers
//   post_shutdown     /etc/my_init.post_shutdown.d/* run
//   waiting_for_main  svinit only: all else has stopped, the main command has not yet
//   sweeping          TERM to every process left, KILL after the grace; waiting for none
//   done              the loop is told to stop; exit_code is final
//
// The shutdown path from running: [stopping_main] -> pre_shutdown -> stopping_services ->
// post_shutdown -> [waiting_for_main] -> sweeping -> done. Shutdown scripts run only after
// a complete boot (booted) and in my_init's flavor, services are stopped only when they
// were started, and without kill_all_on_exit the sweep is skipped.
//
// Events and what they do (phases not named: ignored):
//   Start              idle: my_init -> booting, RunStartupScripts; svinit (no scripts)
//                      as BootDone{true}
//   BootDone{ok}       booting: ok -> booted, running, StartMain (or StartServices without
//                      a command); failed -> exit 1, shut down.  aborting_boot: shut down.
//   MainStarted        running: StartServices when supervising
//   MainStartFailed{c} running: exit c, shut down
//   MainExited{c}      any phase where it runs: exit c, CancelMainKillTimer; from running
//                      or stopping_main shut down, from waiting_for_main finish; elsewhere
//                      the shutdown goes on
//   Signal{sig}        a shutdown signal, when Init handles shutdown (supervising, or
//                      my_init): from booting -> aborting_boot, AbortStartupScripts; from
//                      running: ForwardSignal (TERM in my_init) and ArmMainKillTimer when
//                      the main command runs, then shut down; later: ForwardSignal to a
//                      main command still running. It marks the exit as by signal only
//                      when it starts the shutdown.
//                      SIGHUP when supervising with no main command running: as Reload.
//                      Any other: ForwardSignal while the main command runs.
//   ShutdownRequested  (svctl shutdown) as a shutdown signal TERM, but not "by signal"
//   EssentialFailed{c} running: an essential service failed for good: exit c (kept
//                      whatever the main command exits with later), then as
//                      ShutdownRequested
//   Reload             running, services started: ReloadServices
//   ScriptsDone        pre_shutdown -> stopping_services; post_shutdown -> finish
//   ServicesStopped    stopping_services -> post_shutdown
//   MainKillTimeout    KillMain while the main command runs
//   SweepDone          sweeping -> done, StopLoop
//
// "Finish": my_init after a shutdown by signal: ReportAborted, exit 2. Then sweeping
// (StartSweep) or, without kill_all_on_exit, done (StopLoop).

#include <signal.h>

#include <string_view>
#include <variant>
#include <vector>

namespace svinit::pid1 {

enum class Phase {
    Idle,
    Booting,
    AbortingBoot,
    Running,
    StoppingMain,
    PreShutdown,
    StoppingServices,
    PostShutdown,
    WaitingForMain,
    Sweeping,
    Done
};

// Whose rules PID 1 follows. my_init's differ from svinit's in four ways: startup and
// shutdown scripts run around everything; the main command gets SIGTERM whatever the
// shutdown signal, and nothing else stops until it is gone; a shutdown by signal exits 2
// ("Init system aborted."); TERM and INT mean shutdown even with no services.
enum class Flavor { Svinit, MyInit };

struct InitPolicy {
    Flavor flavor = Flavor::Svinit;
    bool has_command = false;  // a main command was given
    bool supervise = false;    // services are supervised
    bool kill_all_on_exit = true;
    std::vector<int> shutdown_signals{SIGTERM, SIGINT};
};

struct InitState {
    Phase phase = Phase::Idle;
    bool booted = false;            // the startup scripts all succeeded
    bool main_running = false;
    bool services_started = false;  // so there is something to stop
    bool by_signal = false;         // a shutdown signal began the shutdown
    int exit_code = 0;
    bool exit_code_final = false;   // an essential service's status: nothing overrides it

    bool operator==(const InitState&) const = default;
};

// ---- Events
struct Start {};
struct BootDone {
    bool completed = false;  // every startup script ran and succeeded
};
struct MainStarted {};
struct MainStartFailed {
    int exit_code = 0;  // 127 missing, 126 not executable, 1 otherwise
};
struct MainExited {
    int exit_code = 0;  // as a shell reports it: 128+N for signal N
};
struct SignalReceived {
    int sig = 0;
};
struct ShutdownRequested {};
struct EssentialFailed {
    int exit_code = 0;  // the service's status as a shell reports it
};
struct Reload {};
struct ScriptsDone {};
struct ServicesStopped {};
struct MainKillTimeout {};
struct SweepDone {};

using InitEvent = std::variant<Start, BootDone, MainStarted, MainStartFailed, MainExited,
                               SignalReceived, ShutdownRequested, EssentialFailed, Reload, ScriptsDone,
                               ServicesStopped, MainKillTimeout, SweepDone>;

// ---- Actions, carried out in order
struct RunStartupScripts {
    bool operator==(const RunStartupScripts&) const = default;
};
struct AbortStartupScripts {
    bool operator==(const AbortStartupScripts&) const = default;
};
struct StartMain {
    bool operator==(const StartMain&) const = default;
};
struct StartServices {
    bool operator==(const StartServices&) const = default;
};
struct ReloadServices {
    bool operator==(const ReloadServices&) const = default;
};
struct ForwardSignal {  // to the main command (or its group, with --signal-group)
    int sig = 0;
    bool operator==(const ForwardSignal&) const = default;
};
struct ArmMainKillTimer {  // KILL after the stop timeout: MainKillTimeout
    bool operator==(const ArmMainKillTimer&) const = default;
};
struct CancelMainKillTimer {
    bool operator==(const CancelMainKillTimer&) const = default;
};
struct KillMain {
    bool operator==(const KillMain&) const = default;
};
enum class ScriptSet { PreShutdown, PostShutdown };
struct RunShutdownScripts {
    ScriptSet which = ScriptSet::PreShutdown;
    bool operator==(const RunShutdownScripts&) const = default;
};
struct StopServices {
    bool operator==(const StopServices&) const = default;
};
struct ReportAborted {  // my_init's "Init system aborted."
    bool operator==(const ReportAborted&) const = default;
};
struct StartSweep {
    bool operator==(const StartSweep&) const = default;
};
struct StopLoop {
    bool operator==(const StopLoop&) const = default;
};

using InitAction = std::variant<RunStartupScripts, AbortStartupScripts, StartMain, StartServices,
                                ReloadServices, ForwardSignal, ArmMainKillTimer,
                                CancelMainKillTimer, KillMain, RunShutdownScripts, StopServices,
                                ReportAborted, StartSweep, StopLoop>;

struct InitTransition {
    InitState next;
    std::vector<InitAction> actions;
    bool ignored = false;  // the event meant nothing in this phase
};

InitTransition step(const InitState& state, const InitEvent& event, const InitPolicy& policy);

// "idle", "booting", ..., for log lines and test messages.
std::string_view to_string(Phase phase) noexcept;
std::string_view event_name(const InitEvent& event) noexcept;

}  // namespace svinit::pid1
