#pragma once
// svinit's PID 1 duties: start the main command and the supervised services, pass
// signals on, reap every zombie, and shut down in order -- services told down, their
// finish scripts and loggers done, then the final sweep -- exiting with the main
// command's status. In my_init mode (Lifecycle) startup scripts run first, and shutdown
// is my_init's sequence: main command, pre-shutdown scripts, services, post-shutdown
// scripts, final sweep.

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/child_reaper.h"
#include "core/event_loop.h"
#include "core/exit_codes.h"
#include "core/registration.h"
#include "core/signal_fd.h"
#include "pid1/final_sweep.h"
#include "pid1/init_fsm.h"
#include "pid1/script_runner.h"
#include "services/supervisor.h"

namespace svinit::pid1 {

// my_init's lifecycle around the core one; all empty or off in svinit's own mode.
struct Lifecycle {
    // Script lists are read when their phase begins (scripts may be added at run time).
    using ScriptList = std::function<std::vector<std::string>()>;
    ScriptList startup;  // run one by one before services and the main command; any failure aborts
    std::function<void(const std::string& path)> after_startup_script;  // e.g. re-read the env
    ScriptList pre_shutdown;                                            // before services stop
    ScriptList post_shutdown;                                           // after they have stopped
    core::Duration shutdown_script_limit = std::chrono::seconds(30);
    std::vector<int> shutdown_signals{SIGTERM, SIGINT};
    // my_init's rules: the main command is stopped (SIGTERM, whatever the signal) before the
    // pre-shutdown scripts; a shutdown by signal exits 2; "*** "-style progress lines.
    bool my_init = false;
};

struct InitConfig {
    std::vector<std::string> command;  // argv of the main command; may be empty with services
    bool signal_group = false;         // forward to the command's process group
    bool kill_all_on_exit = true;
    core::Duration kill_grace = std::chrono::seconds(5);
    bool supervise = false;           // run the service supervisor
    services::Policy service_policy;  // defaults for every service
    Lifecycle lifecycle;
};

// What the loader read: the services, or, when `errors` is not empty, why the declarations
// were refused (one line each, FILE:LINE:COLUMN: key: message); then nothing is applied.
struct LoadedServices {
    std::vector<services::ServiceSpec> services;
    std::vector<std::string> errors;
};

// Reads the service declarations (config/ provides it; services/ never reads files).
using ServiceLoader = std::function<LoadedServices()>;

// Why the main command could not be started, with the exit code to report.
struct StartFailure {
    std::string message;
    int exit_code;
};

enum class PhaseObserverId : std::uint64_t {};

// What an observer of PID 1's life sees of it (pid1/manager_notifier.h): Init, or a test's
// stand-in.
class InitView {
public:
    virtual ~InitView() = default;
    virtual Phase phase() const noexcept = 0;
    virtual const InitConfig& config() const noexcept = 0;
    // Null without services.
    virtual services::SupervisorApi* supervisor_api() noexcept = 0;

    // Calls observer with each phase entered, before that transition's actions run (so a
    // shutdown is announced before its first signal). It only takes note: it must not post
    // events to Init. One observer at a time; harmless for an id already gone.
    virtual void unobserve_phase(PhaseObserverId id) = 0;
    using PhaseObserverHandle =
        core::Registration<InitView, PhaseObserverId, &InitView::unobserve_phase>;
    virtual PhaseObserverHandle observe_phase(std::function<void(Phase)> observer) = 0;
};

// Carries out the init state machine (init_fsm.h): loop callbacks become events, and
// each action becomes a spawn, a signal, a timer or a script run. The decisions are all
// in step(); this class holds the handles.
class Init final : public InitView {
public:
    Init(core::EventLoop& loop, core::SignalFd& signals, InitConfig config, ServiceLoader loader);

    // Begins watching signals and starts the life: startup scripts, the main command, the
    // services. A main command that cannot start is reported and ends the run (through the
    // loop, with its exit code); only svinit's own machinery failing is an error here.
    std::expected<void, StartFailure> start();

    // Reads the declarations again and applies them (inotify, SIGHUP).
    void reload() { post(Reload{}); }
    // The same for svctl reload, which is told the errors of a refused configuration, or
    // that svinit is not running its services now (booting or shutting down).
    std::expected<void, std::vector<std::string>> reload_now();

    // The supervisor, for the control server; null without --service-dir.
    services::Supervisor* supervisor() noexcept { return supervisor_ ? &*supervisor_ : nullptr; }
    core::ChildReaper& reaper() noexcept { return reaper_; }

    // The exit code once the loop has stopped: the command's status (128+N for signal
    // N), or 0 for services alone.
    int exit_code() const noexcept { return state_.exit_code; }
    Phase phase() const noexcept override { return state_.phase; }
    const InitConfig& config() const noexcept override { return config_; }
    services::SupervisorApi* supervisor_api() noexcept override { return supervisor(); }
    void unobserve_phase(PhaseObserverId id) override;
    PhaseObserverHandle observe_phase(std::function<void(Phase)> observer) override;

private:
    void post(InitEvent event);
    void drain();
    void execute(const InitAction& action);

    void run_startup_scripts();
    bool after_startup_script(const std::string& path, const core::ChildExit& exit);
    void start_main_command();
    std::expected<void, StartFailure> spawn_main_command();
    std::expected<void, std::vector<std::string>> apply_services(bool first);
    void on_signals();
    void forward(int sig);
    void on_main_exit(const core::ChildExit& exit);
    void arm_main_kill_timer();
    void kill_main();
    void run_shutdown_scripts(ScriptSet which);
    void stop_services();
    void start_sweep();
    bool my_init() const noexcept { return policy_.flavor == Flavor::MyInit; }

    core::EventLoop& loop_;
    core::SignalFd& signals_;
    InitConfig config_;
    ServiceLoader loader_;
    InitPolicy policy_;
    core::ChildReaper reaper_;
    FinalSweep sweep_;
    ScriptRunner scripts_;
    std::optional<services::Supervisor> supervisor_;
    core::WatchHandle signals_watch_;
    core::TrackedChild main_;
    core::TimerHandle main_kill_timer_;
    InitState state_;
    // Events raised while actions run (a script list that is empty, a spawn that fails at
    // once) wait here, so step() is never re-entered.
    std::deque<InitEvent> queue_;
    bool draining_ = false;
    std::function<void(Phase)> phase_observer_;
    std::uint64_t phase_observer_id_ = 0;
    // What the last ReloadServices did, for reload_now().
    std::optional<std::expected<void, std::vector<std::string>>> reload_outcome_;
};

}  // namespace svinit::pid1
