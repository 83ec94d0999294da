#pragma once
// svinit's PID 1 duties: start the main command and the supervised services, pass
// signals on, reap every zombie, and shut down in order -- services told down, their
// finish scripts and loggers done, then the final sweep -- exiting with the main
// command's status.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/child_reaper.h"
#include "core/event_loop.h"
#include "core/signal_fd.h"
#include "services/final_sweep.h"
#include "services/supervisor.h"

namespace svinit::services {

struct InitConfig {
    std::vector<std::string> command;  // argv of the main command; may be empty with services
    bool signal_group = false;         // forward to the command's process group
    bool kill_all_on_exit = true;
    core::Duration kill_grace = std::chrono::seconds(5);
    bool supervise = false;            // run the service supervisor
    Policy service_policy;             // defaults for every service
};

// Reads the service declarations (config/ provides it; services/ never reads files).
using ServiceLoader = std::function<std::vector<ServiceSpec>()>;

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
    Supervisor* supervisor() noexcept { return supervisor_ ? &*supervisor_ : nullptr; }
    core::ChildReaper& reaper() noexcept { return reaper_; }

    // The exit code once the loop has stopped: the command's status (128+N for signal
    // N), or 0 for services alone.
    int exit_code() const noexcept { return exit_code_; }

private:
    std::expected<void, StartFailure> start_main_command();
    void on_signals();
    void on_signal(int sig);
    void forward(int sig);
    void on_main_exit(const core::ChildExit& exit);
    void begin_shutdown(std::optional<int> signal_for_main);
    void maybe_finish();

    core::EventLoop& loop_;
    core::SignalFd& signals_;
    InitConfig config_;
    ServiceLoader loader_;
    core::ChildReaper reaper_;
    FinalSweep sweep_;
    std::optional<Supervisor> supervisor_;
    std::optional<pid_t> main_pid_;
    bool shutting_down_ = false;
    bool services_stopped_ = false;
    bool finishing_ = false;
    std::optional<core::TimerId> main_kill_timer_;
    int exit_code_ = 0;
};

}  // namespace svinit::services
