#include "pid1/init.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "core/exit_codes.h"
#include "core/overloaded.h"
#include "pid1/my_init_log.h"

namespace svinit::pid1 {
namespace {

InitPolicy policy_of(const InitConfig& config) {
    InitPolicy policy;
    policy.flavor = config.lifecycle.my_init ? Flavor::MyInit : Flavor::Svinit;
    policy.has_command = !config.command.empty();
    policy.supervise = config.supervise;
    policy.kill_all_on_exit = config.kill_all_on_exit;
    policy.shutdown_signals = config.lifecycle.shutdown_signals;
    return policy;
}

}  // namespace

Init::Init(core::EventLoop& loop, core::SignalFd& signals, InitConfig config, ServiceLoader loader)
    : loop_(loop),
      signals_(signals),
      config_(std::move(config)),
      loader_(std::move(loader)),
      policy_(policy_of(config_)),
      reaper_(loop),
      sweep_(loop, reaper_, my_init() ? FinalSweep::Voice::MyInit : FinalSweep::Voice::Svinit),
      scripts_(loop, reaper_) {
    if (config_.supervise) {
        supervisor_.emplace(loop_, reaper_, config_.service_policy);
        supervisor_->on_shutdown_request([this] { post(ShutdownRequested{}); });
        supervisor_->on_reload_request([this] { return reload_now(); });
        supervisor_->on_essential_failure(
            [this](const std::string&, int exit_code) { post(EssentialFailed{exit_code}); });
    }
}

std::expected<void, StartFailure> Init::start() {
    // Off PID 1, become the reaper of our orphans so none escapes the final sweep.
    if (::getpid() != 1 && ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        spdlog::warn("PR_SET_CHILD_SUBREAPER: {}", std::strerror(errno));
    }
    auto watch = loop_.watch_readable(signals_.fd(), [this] { on_signals(); });
    if (!watch) return std::unexpected(StartFailure{watch.error().message(), exit_code::kInternal});
    signals_watch_ = std::move(*watch);
    post(Start{});
    return {};
}

void Init::post(InitEvent event) {
    queue_.push_back(std::move(event));
    drain();
}

void Init::drain() {
    if (draining_) return;
    draining_ = true;
    while (!queue_.empty()) {
        InitEvent event = queue_.front();
        queue_.pop_front();
        InitTransition t = step(state_, event, policy_);
        if (t.ignored) {
            spdlog::debug("init: {} ignored while {}", event_name(event), to_string(state_.phase));
            continue;
        }
        if (t.next.phase != state_.phase) {
            spdlog::debug("init: {} -> {}", to_string(state_.phase), to_string(t.next.phase));
        }
        const bool entered = t.next.phase != state_.phase;
        state_ = t.next;
        if (entered && phase_observer_) phase_observer_(state_.phase);
        for (const InitAction& action : t.actions) execute(action);
    }
    draining_ = false;
}

Init::PhaseObserverHandle Init::observe_phase(std::function<void(Phase)> observer) {
    phase_observer_ = std::move(observer);
    return {*this, PhaseObserverId{++phase_observer_id_}};
}

void Init::unobserve_phase(PhaseObserverId id) {
    if (static_cast<std::uint64_t>(id) == phase_observer_id_) phase_observer_ = nullptr;
}

void Init::execute(const InitAction& action) {
    std::visit(core::Overloaded{
                   [this](const RunStartupScripts&) { run_startup_scripts(); },
                   // A shutdown signal stops the running script; BootDone follows.
                   [this](const AbortStartupScripts&) {
                       scripts_.abort(config_.service_policy.stop_timeout);
                   },
                   [this](const StartMain&) { start_main_command(); },
                   [this](const StartServices&) { apply_services(true); },
                   [this](const ReloadServices&) { reload_outcome_ = apply_services(false); },
                   [this](const ForwardSignal& a) { forward(a.sig); },
                   [this](const ArmMainKillTimer&) { arm_main_kill_timer(); },
                   [this](const CancelMainKillTimer&) { main_kill_timer_.reset(); },
                   [this](const KillMain&) { kill_main(); },
                   [this](const RunShutdownScripts& a) { run_shutdown_scripts(a.which); },
                   [this](const StopServices&) { stop_services(); },
                   [](const ReportAborted&) { my_init_log().warn("Init system aborted."); },
                   [this](const StartSweep&) { start_sweep(); },
                   [this](const StopLoop&) { loop_.stop(); },
               },
               action);
}

// Startup scripts have no time limit (my_init's may wait for a database); a shutdown
// signal stops the running one.
void Init::run_startup_scripts() {
    const auto& lifecycle = config_.lifecycle;
    auto startup = lifecycle.startup ? lifecycle.startup() : std::vector<std::string>{};
    if (startup.empty()) {
        post(BootDone{true});
        return;
    }
    scripts_.run(
        std::move(startup), std::nullopt,
        [this](const std::string& path, const core::ChildExit& exit) {
            return after_startup_script(path, exit);
        },
        [this](bool completed) { post(BootDone{completed}); });
}

bool Init::after_startup_script(const std::string& path, const core::ChildExit& exit) {
    if (exit.status != core::ExitStatus::exited(0)) {
        // A script stopped by our own shutdown did not fail.
        if (state_.phase == Phase::Booting) {
            my_init_log().error("{} failed with status {}", path, exit.status.shell_code());
        }
        return false;
    }
    if (config_.lifecycle.after_startup_script) config_.lifecycle.after_startup_script(path);
    return true;
}

void Init::start_main_command() {
    auto started = spawn_main_command();
    if (started) {
        post(MainStarted{});
        return;
    }
    spdlog::error("{}", started.error().message);
    post(MainStartFailed{started.error().exit_code});
}

std::expected<void, StartFailure> Init::spawn_main_command() {
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
    if (my_init()) my_init_log().info("Running {}...", fmt::join(config_.command, " "));
    auto child = reaper_.spawn(options, [this](const core::ChildExit& exit) {
        main_.release();
        on_main_exit(exit);
    });
    if (!child) return std::unexpected(StartFailure{child.error().message(), exit_code::kInternal});
    main_ = std::move(*child);
    spdlog::debug("started {} as pid {}", name, main_.id().pid);
    return {};
}

std::expected<void, std::vector<std::string>> Init::apply_services(bool first) {
    if (!supervisor_) return {};
    if (first && my_init()) my_init_log().info("Starting services...");
    LoadedServices loaded = loader_ ? loader_() : LoadedServices{};
    // A refused configuration changes nothing: the services last applied go on.
    if (!loaded.errors.empty()) return std::unexpected(std::move(loaded.errors));
    supervisor_->apply(std::move(loaded.services));
    return {};
}

std::expected<void, std::vector<std::string>> Init::reload_now() {
    reload_outcome_.reset();
    post(Reload{});  // carried out at once: svctl's requests never come while it drains
    if (!reload_outcome_) {
        return std::unexpected(std::vector<std::string>{fmt::format(
            "svinit is not running its services now ({}); nothing reloaded",
            to_string(state_.phase))});
    }
    return std::exchange(reload_outcome_, std::nullopt).value();
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
            if (sig == SIGHUP && supervisor_ && !main_) {
                spdlog::info("SIGHUP: reading the service directories again");
            }
            post(SignalReceived{sig});
        }
    }
    if (child_exited) reaper_.reap_all();
}

void Init::forward(int sig) {
    if (!main_) return;
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
    const std::string& name = config_.command.front();
    if (exit.spawn_failure) {
        spdlog::error("cannot run {}: {}", name, exit.spawn_failure->describe());
    } else if (my_init()) {
        my_init_log().info("{} exited with status {}.", name, exit.status.shell_code());
    } else {
        spdlog::debug("{} exited with {}", name, exit.status.describe());
    }
    post(MainExited{exit.status.shell_code()});
}

// A main command that ignores the shutdown signal gets what a service would: KILL after
// the stop timeout.
void Init::arm_main_kill_timer() {
    auto timer = loop_.add_timer(config_.service_policy.stop_timeout, false, [this] {
        main_kill_timer_.release();
        post(MainKillTimeout{});
    });
    if (timer) {
        main_kill_timer_ = std::move(*timer);
    } else {
        spdlog::error("stop timer for {}: {}", config_.command.front(), timer.error().message());
    }
}

void Init::kill_main() {
    if (!main_) return;
    spdlog::warn("{} still running after the stop timeout; sending SIGKILL",
                 config_.command.front());
    (void)reaper_.signal(main_.id(), SIGKILL);
}

// A failing shutdown script is reported and the shutdown goes on (my_init would stop at it).
void Init::run_shutdown_scripts(ScriptSet which) {
    const auto& lifecycle = config_.lifecycle;
    const auto& list = which == ScriptSet::PreShutdown ? lifecycle.pre_shutdown
                                                       : lifecycle.post_shutdown;
    auto paths = list ? list() : std::vector<std::string>{};
    if (paths.empty()) {
        post(ScriptsDone{});
        return;
    }
    scripts_.run(
        std::move(paths), lifecycle.shutdown_script_limit,
        [](const std::string& path, const core::ChildExit& exit) {
            if (exit.status != core::ExitStatus::exited(0)) {
                my_init_log().error("{} failed with status {}", path, exit.status.shell_code());
            }
            return true;
        },
        [this](bool) { post(ScriptsDone{}); });
}

void Init::stop_services() {
    if (!supervisor_) {
        post(ServicesStopped{});
        return;
    }
    if (my_init()) {
        my_init_log().info("Stopping services...");
    } else {
        spdlog::info("shutting down: stopping every service");
    }
    supervisor_->stop_all([this] { post(ServicesStopped{}); });
}

void Init::start_sweep() {
    if (my_init()) my_init_log().info("Killing all processes...");
    sweep_.start(config_.kill_grace, [this] { post(SweepDone{}); });
}

}  // namespace svinit::pid1
