#include "services/init.h"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace svinit::services {

Init::Init(core::EventLoop& loop, core::SignalFd& signals, InitConfig config, ServiceLoader loader)
    : loop_(loop),
      signals_(signals),
      config_(std::move(config)),
      loader_(std::move(loader)),
      reaper_(loop),
      sweep_(loop, reaper_) {
    if (config_.supervise) {
        supervisor_.emplace(loop_, reaper_, config_.service_policy);
        supervisor_->on_shutdown_request([this] { begin_shutdown(SIGTERM); });
    }
}

std::expected<void, StartFailure> Init::start() {
    // Off PID 1, become the reaper of our orphans so none escapes the final sweep.
    if (::getpid() != 1 && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        spdlog::warn("PR_SET_CHILD_SUBREAPER: {}", std::strerror(errno));
    }
    if (auto watch = loop_.watch_readable(signals_.fd(), [this] { on_signals(); }); !watch) {
        return std::unexpected(StartFailure{watch.error().message(), 1});
    }
    // The command is checked before any service starts, so a typo leaves nothing behind.
    if (!config_.command.empty()) {
        if (auto started = start_main_command(); !started) return started;
    }
    if (supervisor_) reload();
    return {};
}

std::expected<void, StartFailure> Init::start_main_command() {
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

void Init::reload() {
    if (!supervisor_ || shutting_down_) return;
    supervisor_->apply(loader_ ? loader_() : std::vector<ServiceSpec>{});
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
            on_signal(sig);
        }
    }
    if (child_exited) reaper_.reap_all();
}

void Init::on_signal(int sig) {
    // With services, TERM and INT mean an orderly shutdown of everything; alone with a
    // main command svinit is transparent, like tini, and the command decides.
    if (supervisor_ && (sig == SIGTERM || sig == SIGINT)) {
        begin_shutdown(sig);
        return;
    }
    if (supervisor_ && sig == SIGHUP && !main_pid_) {
        spdlog::info("SIGHUP: reading the service directories again");
        reload();
        return;
    }
    forward(sig);
}

void Init::forward(int sig) {
    if (!main_pid_) {
        spdlog::debug("SIG{} received with no main command running; ignored", sigabbrev_np(sig));
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
    if (main_kill_timer_) loop_.cancel_timer(*main_kill_timer_);
    main_kill_timer_.reset();
    const std::string& name = config_.command.front();
    if (exit.spawn_failure) {
        spdlog::error("cannot run {}: {}", name, exit.spawn_failure->describe());
    } else {
        spdlog::debug("{} exited with {}", name, exit.status.describe());
    }
    exit_code_ = exit.status.shell_code();
    begin_shutdown(std::nullopt);
}

void Init::begin_shutdown(std::optional<int> signal_for_main) {
    if (signal_for_main && main_pid_) forward(*signal_for_main);
    if (shutting_down_) {
        maybe_finish();
        return;
    }
    shutting_down_ = true;
    // A main command that ignores the shutdown signal gets what a service would: KILL
    // after the stop timeout.
    if (signal_for_main && main_pid_ && supervisor_) {
        auto timer = loop_.add_timer(config_.service_policy.stop_timeout, false, [this] {
            main_kill_timer_.reset();
            if (!main_pid_) return;
            spdlog::warn("{} still running after the stop timeout; sending SIGKILL",
                         config_.command.front());
            (void)reaper_.send_signal(*main_pid_, SIGKILL);
        });
        if (timer) main_kill_timer_ = *timer;
    }
    if (supervisor_) {
        spdlog::info("shutting down: stopping every service");
        supervisor_->stop_all([this] {
            services_stopped_ = true;
            maybe_finish();
        });
    } else {
        services_stopped_ = true;
    }
    maybe_finish();
}

// The end comes when the main command and every service are gone: then the sweep.
void Init::maybe_finish() {
    if (finishing_ || main_pid_ || !services_stopped_) return;
    finishing_ = true;
    if (!config_.kill_all_on_exit) {
        loop_.stop();
        return;
    }
    sweep_.start(config_.kill_grace, [this] { loop_.stop(); });
}

}  // namespace svinit::services
