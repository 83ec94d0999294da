#include "pid1/init.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "core/exit_codes.h"

namespace svinit::pid1 {

Init::Init(core::EventLoop& loop, core::SignalFd& signals, InitConfig config, ServiceLoader loader)
    : loop_(loop),
      signals_(signals),
      config_(std::move(config)),
      loader_(std::move(loader)),
      reaper_(loop),
      sweep_(loop, reaper_),
      scripts_(loop, reaper_) {
    if (config_.supervise) {
        supervisor_.emplace(loop_, reaper_, config_.service_policy);
        supervisor_->on_shutdown_request([this] { begin_shutdown(SIGTERM); });
    }
    handles_shutdown_ = config_.supervise || config_.lifecycle.my_init;
}

std::expected<void, StartFailure> Init::start() {
    // Off PID 1, become the reaper of our orphans so none escapes the final sweep.
    if (::getpid() != 1 && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        spdlog::warn("PR_SET_CHILD_SUBREAPER: {}", std::strerror(errno));
    }
    auto watch = loop_.watch_readable(signals_.fd(), [this] { on_signals(); });
    if (!watch) return std::unexpected(StartFailure{watch.error().message(), exit_code::kInternal});
    signals_watch_ = std::move(*watch);
    const auto& lifecycle = config_.lifecycle;
    auto startup = lifecycle.startup ? lifecycle.startup() : std::vector<std::string>{};
    if (startup.empty()) {
        booted_ = true;
        return start_running();
    }
    // Startup scripts have no time limit (my_init's may wait for a database); a shutdown
    // signal stops the running one.
    phase_ = Phase::Booting;
    scripts_.run(
        std::move(startup), std::nullopt,
        [this](const std::string& path, const core::ChildExit& exit) {
            return after_startup_script(path, exit);
        },
        [this](bool completed) { on_boot_done(completed); });
    return {};
}

bool Init::after_startup_script(const std::string& path, const core::ChildExit& exit) {
    if (exit.status != core::ExitStatus::exited(0)) {
        if (!shutting_down_)
            spdlog::error("{} failed with status {}", path, exit.status.shell_code());
        return false;
    }
    if (config_.lifecycle.after_startup_script) config_.lifecycle.after_startup_script(path);
    return true;
}

void Init::on_boot_done(bool completed) {
    phase_ = Phase::Running;
    if (shutting_down_) {
        run_pre_shutdown();  // skips the scripts: the boot did not finish
        return;
    }
    if (!completed) {
        exit_code_ = exit_code::kStartupFailed;
        begin_shutdown(std::nullopt);
        return;
    }
    booted_ = true;
    if (auto started = start_running(); !started) {
        spdlog::error("{}", started.error().message);
        exit_code_ = started.error().exit_code;
        begin_shutdown(std::nullopt);
    }
}

// The main command is checked before any service starts, so a typo leaves nothing behind.
std::expected<void, StartFailure> Init::start_running() {
    if (!config_.command.empty()) {
        if (auto started = start_main_command(); !started) return started;
    }
    if (supervisor_) {
        if (config_.lifecycle.my_init) spdlog::info("Starting services...");
        reload();
    }
    return {};
}

std::expected<void, StartFailure> Init::start_main_command() {
    const std::string& name = config_.command.front();
    const char* path_env = std::getenv("PATH");
    auto path = core::resolve_command(name, path_env ? path_env : "");
    if (!path) {
        return std::unexpected(StartFailure{
            fmt::format("cannot run {}", path.error().context),
            path.error().code == EACCES ? exit_code::kCannotExecute : exit_code::kNotFound});
    }
    core::SpawnOptions options;
    options.path = *path;
    options.argv = config_.command;
    options.foreground_tty = ::isatty(STDIN_FILENO) ? STDIN_FILENO : -1;
    if (config_.lifecycle.my_init) spdlog::info("Running {}...", fmt::join(config_.command, " "));
    auto child = reaper_.spawn(options, [this](const core::ChildExit& exit) {
        main_.release();
        on_main_exit(exit);
    });
    if (!child) return std::unexpected(StartFailure{child.error().message(), exit_code::kInternal});
    main_ = std::move(*child);
    spdlog::debug("started {} as pid {}", name, main_.id().pid);
    return {};
}

void Init::reload() {
    if (!supervisor_ || shutting_down_ || !booted_) return;
    supervisor_->apply(loader_ ? loader_() : std::vector<services::ServiceSpec>{});
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

bool Init::is_shutdown_signal(int sig) const {
    const auto& list = config_.lifecycle.shutdown_signals;
    return std::find(list.begin(), list.end(), sig) != list.end();
}

void Init::on_signal(int sig) {
    // With services (or as my_init), TERM and INT mean an orderly shutdown of everything;
    // alone with a main command svinit is transparent, like tini, and the command decides.
    if (handles_shutdown_ && is_shutdown_signal(sig)) {
        if (!shutting_down_) by_signal_ = true;
        begin_shutdown(sig);
        return;
    }
    if (supervisor_ && sig == SIGHUP && !main_) {
        spdlog::info("SIGHUP: reading the service directories again");
        reload();
        return;
    }
    forward(sig);
}

void Init::forward(int sig) {
    if (!main_) {
        spdlog::debug("SIG{} received with no main command running; ignored", sigabbrev_np(sig));
        return;
    }
    if (config_.signal_group) {
        // The group cannot be reused while its leader, the main command, is unreaped.
        if (::kill(-main_.id().pid, sig) != 0) {
            spdlog::warn("forwarding SIG{} to process group {}: {}", sigabbrev_np(sig),
                         main_.id().pid, std::strerror(errno));
        }
        return;
    }
    if (auto sent = reaper_.signal(main_.id(), sig); !sent) {
        spdlog::warn("forwarding SIG{}: {}", sigabbrev_np(sig), sent.error().message());
    }
}

void Init::on_main_exit(const core::ChildExit& exit) {
    main_kill_timer_.reset();
    const std::string& name = config_.command.front();
    if (exit.spawn_failure) {
        spdlog::error("cannot run {}: {}", name, exit.spawn_failure->describe());
    } else if (config_.lifecycle.my_init) {
        spdlog::info("{} exited with status {}.", name, exit.status.shell_code());
    } else {
        spdlog::debug("{} exited with {}", name, exit.status.describe());
    }
    exit_code_ = exit.status.shell_code();
    if (phase_ == Phase::StoppingMain) {
        run_pre_shutdown();
        return;
    }
    begin_shutdown(std::nullopt);
}

void Init::begin_shutdown(std::optional<int> signal_for_main) {
    // my_init stops its main command with SIGTERM whichever signal it got.
    if (signal_for_main && main_) {
        forward(config_.lifecycle.my_init ? SIGTERM : *signal_for_main);
    }
    if (shutting_down_) {
        maybe_finish();
        return;
    }
    shutting_down_ = true;
    if (phase_ == Phase::Booting) {
        scripts_.abort(config_.service_policy.stop_timeout);  // on_boot_done goes on from there
        return;
    }
    if (signal_for_main && main_ && handles_shutdown_) arm_main_kill_timer();
    if (config_.lifecycle.my_init && main_) {
        phase_ = Phase::StoppingMain;  // on_main_exit goes on from there
        return;
    }
    run_pre_shutdown();
}

// A main command that ignores the shutdown signal gets what a service would: KILL after
// the stop timeout.
void Init::arm_main_kill_timer() {
    auto timer = loop_.add_timer(config_.service_policy.stop_timeout, false, [this] {
        main_kill_timer_.release();
        if (!main_) return;
        spdlog::warn("{} still running after the stop timeout; sending SIGKILL",
                     config_.command.front());
        (void)reaper_.signal(main_.id(), SIGKILL);
    });
    if (timer) main_kill_timer_ = std::move(*timer);
}

void Init::run_pre_shutdown() {
    phase_ = Phase::PreShutdown;
    run_shutdown_scripts(config_.lifecycle.pre_shutdown, [this] { stop_services(); });
}

void Init::stop_services() {
    phase_ = Phase::StoppingServices;
    if (!supervisor_) {
        services_stopped_ = true;
        run_post_shutdown();
        return;
    }
    spdlog::info(config_.lifecycle.my_init ? "Stopping services..."
                                           : "shutting down: stopping every service");
    supervisor_->stop_all([this] {
        services_stopped_ = true;
        run_post_shutdown();
    });
}

void Init::run_post_shutdown() {
    if (phase_ != Phase::StoppingServices) return;
    phase_ = Phase::PostShutdown;
    run_shutdown_scripts(config_.lifecycle.post_shutdown, [this] {
        phase_ = Phase::Final;
        maybe_finish();
    });
}

// Shutdown scripts run only after a complete boot, as my_init's; a failing one is reported
// and the shutdown goes on (my_init would stop at it).
void Init::run_shutdown_scripts(const Lifecycle::ScriptList& list, core::Callback next) {
    auto paths = booted_ && list ? list() : std::vector<std::string>{};
    if (paths.empty()) {
        next();
        return;
    }
    scripts_.run(
        std::move(paths), config_.lifecycle.shutdown_script_limit,
        [](const std::string& path, const core::ChildExit& exit) {
            if (exit.status != core::ExitStatus::exited(0)) {
                spdlog::error("{} failed with status {}", path, exit.status.shell_code());
            }
            return true;
        },
        [next = std::move(next)](bool) { next(); });
}

// The end comes when the main command and every service are gone: then the sweep.
void Init::maybe_finish() {
    if (finishing_ || main_ || phase_ != Phase::Final || !services_stopped_) return;
    finishing_ = true;
    if (config_.lifecycle.my_init && by_signal_) {
        spdlog::warn("Init system aborted.");
        exit_code_ = exit_code::kAborted;
    }
    if (!config_.kill_all_on_exit) {
        loop_.stop();
        return;
    }
    if (config_.lifecycle.my_init) spdlog::info("Killing all processes...");
    sweep_.start(config_.kill_grace, [this] { loop_.stop(); });
}

}  // namespace svinit::pid1
