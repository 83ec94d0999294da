#include "launch/run_sandbox.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>

#include "config/toml_sandbox.h"
#include "core/child_reaper.h"
#include "core/exit_codes.h"
#include "core/signal_fd.h"
#include "launch/logging.h"
#include "sandbox/cgroup_watch.h"
#include "sandbox/sandbox_spawn.h"

namespace svinit::launch {

namespace {

// How long the end waits for the cgroup to empty after cgroup.kill: a process stuck in
// the kernel (D state) delays its exit; svinit then leaves the cgroup behind and says so.
constexpr auto kEmptyGrace = std::chrono::seconds(10);

// The run: the sandbox's init tracked, signals passed on, then the cgroup emptied and
// removed before the loop stops.
class SandboxRun {
public:
    SandboxRun(core::EventLoop& loop, core::SignalFd& signals, std::string name)
        : loop_(loop), signals_(signals), reaper_(loop), name_(std::move(name)) {}

    core::Result<void> start(sandbox::SandboxChild child) {
        cgroup_ = std::move(child.cgroup);
        auto watching = loop_.watch_readable(signals_.fd(), [this] { on_signals(); });
        if (!watching) return std::unexpected(watching.error());
        signals_watch_ = std::move(*watching);
        auto tracked = reaper_.track(std::move(child.init), [this](const core::ChildExit& exit) {
            init_.release();
            on_exit(exit);
        });
        if (!tracked) return std::unexpected(tracked.error());
        init_ = std::move(*tracked);
        return {};
    }

    // The child reports setup failures through the reaper's pipe.
    core::Result<sandbox::SandboxChild> spawn(const sandbox::SandboxSpec& spec,
                                              const sandbox::SandboxCommand& command,
                                              const sandbox::CgroupHost& cgroups) {
        const core::SpawnReports* reports = reaper_.reports();
        if (reports == nullptr) return core::error(EMFILE, "cannot open the spawn report pipe");
        return sandbox::spawn_sandbox(spec, command, cgroups, name_, *reports);
    }

    int exit_code() const noexcept { return exit_code_; }

private:
    void on_signals() {
        auto pending = signals_.read_pending();
        if (!pending) {
            spdlog::error("{}", pending.error().message());
            return;
        }
        bool child_exited = false;
        for (const auto& info : *pending) {
            const auto sig = static_cast<int>(info.ssi_signo);
            if (sig == SIGCHLD) {
                child_exited = true;
            } else if (init_) {
                // To the sandbox's init, which passes it to the worker.
                if (auto sent = reaper_.signal(init_.id(), sig); !sent) {
                    spdlog::warn("forwarding SIG{}: {}", sigabbrev_np(sig), sent.error().message());
                }
            }
        }
        if (child_exited) reaper_.reap_all();
    }

    void on_exit(const core::ChildExit& exit) {
        if (exit.spawn_failure) {
            const auto& failure = *exit.spawn_failure;
            if (failure.stage == core::SpawnStage::Sandbox) {
                spdlog::error("{}: {}", name_, failure.describe());
            } else {
                spdlog::error("cannot run {}: {}", name_, failure.describe());
            }
            exit_code_ = failure.exit_code();
        } else {
            spdlog::debug("{}: exited with {}", name_, exit.status.describe());
            exit_code_ = exit.status.shell_code();
        }
        empty_cgroup();
    }

    // Whatever is left (every process, without a PID namespace) goes at once.
    void empty_cgroup() {
        if (!cgroup_.placed()) {
            finish();
            return;
        }
        if (auto killed = cgroup_.kill(); !killed) {
            spdlog::warn("{}: {}", name_, killed.error().message());
        }
        auto watch = sandbox::CgroupEmptyWatch::start(loop_, cgroup_, [this] { finish(); });
        if (!watch) {
            spdlog::warn("{}: cannot watch {}: {}", name_, cgroup_.events_file(),
                         watch.error().message());
            finish();
            return;
        }
        empty_watch_ = std::move(*watch);
        auto timer = loop_.add_timer(kEmptyGrace, false, [this] {
            grace_timer_.release();
            spdlog::warn("{}: processes still in {} {}s after cgroup.kill; leaving it", name_,
                         cgroup_.v2_dir(), kEmptyGrace.count());
            finish();
        });
        if (timer) grace_timer_ = std::move(*timer);
    }

    void finish() {
        if (finished_) return;
        finished_ = true;
        grace_timer_.reset();
        if (const auto kills = cgroup_.oom_kills(); kills > 0) {
            spdlog::error("{}: killed by the OOM killer (memory-max {})", name_,
                          sandbox::format_size(cgroup_.limits().memory_max.value_or(0)));
        }
        if (auto removed = cgroup_.remove(); !removed) {
            spdlog::warn("{}: {}", name_, removed.error().message());
        }
        loop_.stop();
    }

    core::EventLoop& loop_;
    core::SignalFd& signals_;
    core::ChildReaper reaper_;
    std::string name_;
    sandbox::SandboxCgroup cgroup_;
    core::TrackedChild init_;
    core::WatchHandle signals_watch_;
    std::unique_ptr<sandbox::CgroupEmptyWatch> empty_watch_;
    core::TimerHandle grace_timer_;
    bool finished_ = false;
    int exit_code_ = exit_code::kSandboxSetup;
};

void print_usage_error(const std::string& message) {
    std::fprintf(stderr, "svinit: %s\n\n%.*s", message.c_str(),
                 static_cast<int>(run_sandbox_usage().size()), run_sandbox_usage().data());
}

}  // namespace

int run_sandbox_main(std::span<const std::string_view> args) {
    auto options = parse_run_sandbox_options(args);
    if (!options) {
        print_usage_error(options.error().message());
        return exit_code::kUsage;
    }
    if (options->help) {
        std::fwrite(run_sandbox_usage().data(), 1, run_sandbox_usage().size(), stdout);
        return exit_code::kOk;
    }
    auto file = config::load_sandbox_file(options->sandbox_file);
    if (!file.spec) {
        for (const auto& error : file.errors)
            std::fprintf(stderr, "%s\n", error.describe().c_str());
        return exit_code::kSandboxSetup;
    }
    setup_logging(options->log_level);
    const std::string name =
        options->name.empty() ? fmt::format("run-{}", ::getpid()) : options->name;

    // Signals first: from here on they wait in the signalfd, none is lost.
    auto signals = core::SignalFd::open(core::catchable_signals());
    if (!signals) {
        spdlog::error("{}", signals.error().message());
        return exit_code::kSandboxSetup;
    }
    auto choice = core::make_event_loop(options->event_loop);
    if (!choice) {
        spdlog::error("event loop: {}", choice.error().message());
        return exit_code::kSandboxSetup;
    }
    spdlog::debug("event loop: {}", choice->reason);
    // Off PID 1, whatever escapes the sandbox's init (no PID namespace) comes back to us.
    if (::getpid() != 1) ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    auto cgroups = sandbox::discover_cgroup_host();
    if (!cgroups) {
        spdlog::error("cgroups: {}", cgroups.error().message());
        return exit_code::kSandboxSetup;
    }
    sandbox::SandboxCommand command;
    command.argv = options->command;
    SandboxRun run(*choice->loop, *signals, name);
    auto child = run.spawn(*file.spec, command, *cgroups);
    if (!child) {
        spdlog::error("{}: {}", name, child.error().message());
        return exit_code::kSandboxSetup;
    }
    for (const auto& note : child->notes) spdlog::info("{}: {}", name, note);
    spdlog::debug("{}: sandbox init is pid {}", name, child->init.pid);

    if (auto started = run.start(std::move(*child)); !started) {
        spdlog::error("{}: {}", name, started.error().message());
        return exit_code::kSandboxSetup;
    }
    if (auto ran = choice->loop->run(); !ran) {
        spdlog::critical("event loop failed: {}", ran.error().message());
        return exit_code::kSandboxSetup;
    }
    return run.exit_code();
}

}  // namespace svinit::launch
