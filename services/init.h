#pragma once
// svinit's PID 1 duties for a main command: start it, pass signals on to it, reap
// every zombie, and when it ends sweep away what is left and report its status.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/child_reaper.h"
#include "core/event_loop.h"
#include "core/signal_fd.h"
#include "services/final_sweep.h"

namespace svinit::services {

struct InitConfig {
    std::vector<std::string> command;  // argv of the main command
    bool signal_group = false;         // forward to the command's process group
    bool kill_all_on_exit = true;
    core::Duration kill_grace = std::chrono::seconds(5);
};

// Why the main command could not be started, with the exit code to report.
struct StartFailure {
    std::string message;
    int exit_code;
};

class Init {
public:
    Init(core::EventLoop& loop, core::SignalFd& signals, InitConfig config);

    // Starts the main command and begins watching signals. On failure nothing runs.
    std::expected<void, StartFailure> start();

    // The exit code once the loop has stopped: the command's status (128+N for signal N).
    int exit_code() const noexcept { return exit_code_; }

private:
    void on_signals();
    void forward(int sig);
    void on_main_exit(const core::ChildExit& exit);
    void shut_down();

    core::EventLoop& loop_;
    core::SignalFd& signals_;
    InitConfig config_;
    core::ChildReaper reaper_;
    FinalSweep sweep_;
    std::optional<pid_t> main_pid_;
    int exit_code_ = 0;
};

}  // namespace svinit::services
