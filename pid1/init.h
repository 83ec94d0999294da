#pragma once
// svinit's PID 1 duties: start the main command and the supervised services, pass
// signals on, reap every zombie, and shut down in order -- services told down, their
// finish scripts and loggers done, then the final sweep -- exiting with the main
// command's status. In my_init mode (Lifecycle) startup scripts run first, and shutdown
// is my_init's sequence: main command, pre-shutdown scripts, services, post-shutdown
// scripts, final sweep.

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/child_reaper.h"
#include "core/event_loop.h"
#include "core/exit_codes.h"
#include "core/signal_fd.h"
#include "pid1/final_sweep.h"
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

// Reads the service declarations (config/ provides it; services/ never reads files).
using ServiceLoader = std::function<std::vector<services::ServiceSpec>()>;

// Why the main command could not be started, with the exit code to report.
struct StartFailure {
    std::string message;
    int exit_code;
};

class Init {
public:
    Init(core::EventLoop& loop, core::SignalFd& signals, InitConfig config, ServiceLoader loader);

    // Starts the services and the main command, and begins watching signals. When the
    // main command cannot start, nothing is left running.
    std::expected<void, StartFailure> start();

    // Reads the declarations again and applies them (inotify, SIGHUP, svctl reload).
    void reload();

    // The supervisor, for the control server; null without --service-dir.
    services::Supervisor* supervisor() noexcept { return supervisor_ ? &*supervisor_ : nullptr; }
    core::ChildReaper& reaper() noexcept { return reaper_; }

    // The exit code once the loop has stopped: the command's status (128+N for signal
    // N), or 0 for services alone.
    int exit_code() const noexcept { return exit_code_; }

private:
    enum class Phase {
        Booting,
        Running,
        StoppingMain,
        PreShutdown,
        StoppingServices,
        PostShutdown,
        Final
    };

    std::expected<void, StartFailure> start_running();
    std::expected<void, StartFailure> start_main_command();
    bool after_startup_script(const std::string& path, const core::ChildExit& exit);
    void on_boot_done(bool completed);
    bool is_shutdown_signal(int sig) const;
    void on_signals();
    void on_signal(int sig);
    void forward(int sig);
    void on_main_exit(const core::ChildExit& exit);
    void begin_shutdown(std::optional<int> signal_for_main);
    void arm_main_kill_timer();
    void run_pre_shutdown();
    void stop_services();
    void run_post_shutdown();
    void run_shutdown_scripts(const Lifecycle::ScriptList& list, core::Callback next);
    void maybe_finish();

    core::EventLoop& loop_;
    core::SignalFd& signals_;
    InitConfig config_;
    ServiceLoader loader_;
    core::ChildReaper reaper_;
    FinalSweep sweep_;
    ScriptRunner scripts_;
    std::optional<services::Supervisor> supervisor_;
    core::WatchHandle signals_watch_;
    core::TrackedChild main_;
    Phase phase_ = Phase::Running;
    bool booted_ = false;            // startup scripts done: shutdown scripts may run
    bool handles_shutdown_ = false;  // TERM/INT stop everything (else passed on, like tini)
    bool shutting_down_ = false;
    bool by_signal_ = false;
    bool services_stopped_ = false;
    bool finishing_ = false;
    core::TimerHandle main_kill_timer_;
    int exit_code_ = 0;
};

}  // namespace svinit::pid1
