#include "services/init.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace svinit::services {

Init::Init(core::EventLoop& loop, core::SignalFd& signals, InitConfig config)
    : loop_(loop),
      signals_(signals),
      config_(std::move(config)),
      reaper_(loop),
      sweep_(loop, reaper_) {}

std::expected<void, StartFailure> Init::start() {
    // Off PID 1, become the reaper of our orphans so none escapes the final sweep.
    if (::getpid() != 1 && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        spdlog::warn("PR_SET_CHILD_SUBREAPER: {}", std::strerror(errno));
    }
    if (auto watch = loop_.watch_readable(signals_.fd(), [this] { on_signals(); }); !watch) {
        return std::unexpected(StartFailure{watch.error().message(), 1});
    }

    const std::string& name = config_.command.front();
    const char* path_env = std::getenv("PATH");
    auto path = core::resolve_command(name, path_env ? path_env : "");
    if (!path) {
        return std::unexpected(StartFailure{fmt::format("cannot run {}", path.error().context),
                                            path.error().code == EACCES ? 126 : 127});
    }
    core::SpawnOptions options;
    options.path = *path;
    options.argv = config_.command;
    options.foreground_tty = ::isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
    auto child = core::spawn(options);
    if (!child) return std::unexpected(StartFailure{child.error().message(), 1});
    main_pid_ = child->pid;
    spdlog::debug("started {} as pid {}", name, child->pid);
    auto tracked = reaper_.track(std::move(*child), [this](const core::ChildExit& exit) {
        on_main_exit(exit);
    });
    if (!tracked) return std::unexpected(StartFailure{tracked.error().message(), 1});
    return {};
}

void Init::on_signals() {
    auto pending = signals_.read_pending();
    if (!pending) {
        spdlog::error("{}", pending.error().message());
        return;
    }
    bool child_exited = false;
    for (const auto& info : *pending) {
        auto sig = static_cast<int>(info.ssi_signo);
        if (sig == SIGCHLD) {
            child_exited = true;
        } else {
            forward(sig);
        }
    }
    if (child_exited) reaper_.reap_all();
}

void Init::forward(int sig) {
    if (!main_pid_) {
        spdlog::debug("{} received with no main command running; ignored", sigabbrev_np(sig));
        return;
    }
    if (config_.signal_group) {
        // The group cannot be reused while its leader, the main command, is unreaped.
        if (::kill(-*main_pid_, sig) != 0) {
            spdlog::warn("forwarding SIG{} to process group {}: {}", sigabbrev_np(sig), *main_pid_,
                         std::strerror(errno));
        }
        return;
    }
    if (auto sent = reaper_.send_signal(*main_pid_, sig); !sent) {
        spdlog::warn("forwarding SIG{}: {}", sigabbrev_np(sig), sent.error().message());
    }
}

void Init::on_main_exit(const core::ChildExit& exit) {
    main_pid_.reset();
    const std::string& name = config_.command.front();
    if (exit.spawn_failure) {
        spdlog::error("cannot run {}: {}", name, exit.spawn_failure->describe());
    } else {
        spdlog::debug("{} exited with {}", name, exit.status.describe());
    }
    exit_code_ = exit.status.shell_code();
    shut_down();
}

void Init::shut_down() {
    if (!config_.kill_all_on_exit) {
        loop_.stop();
        return;
    }
    sweep_.start(config_.kill_grace, [this] { loop_.stop(); });
}

}  // namespace svinit::services
