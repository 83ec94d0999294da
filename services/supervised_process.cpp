#include "services/supervised_process.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include "core/overloaded.h"
#include "services/exec_plan.h"

namespace svinit::services {
namespace {

// runsv runs "./run" and "./finish" from the service directory, so relative service
// directories work and argv[0] is what runit users expect.
constexpr const char* kRun = "./run";
constexpr const char* kFinish = "./finish";

std::string seconds_text(Duration d) {
    return fmt::format("{:.1f}s", std::chrono::duration<double>(d).count());
}

}  // namespace

SupervisedProcess::SupervisedProcess(ProcessContext context, std::string label, ProcessSpec spec,
                                     Policy policy, StdioSources stdio, StateChanged on_change)
    : context_(context),
      label_(std::move(label)),
      spec_(std::move(spec)),
      policy_(policy),
      stdio_(stdio),
      on_change_(std::move(on_change)),
      state_(initial_state(spec_.normally_down, context_.loop.now())) {}

// No destructor: the handles untrack the children and cancel the timer. Owners destroy
// settled programs only; should one still run, it becomes an orphan to be reaped, and no
// callback can reach this object any more.

// As services::start(), from the state kept so far (which may hold what the dependencies
// said before the start).
void SupervisedProcess::start() {
    if (!spec_.normally_down) post(WantUp{});
}

void SupervisedProcess::post(const Event& event) {
    queue_.push_back(event);
    drain();
}

void SupervisedProcess::drain() {
    if (draining_) return;
    draining_ = true;
    while (!queue_.empty()) {
        Event event = queue_.front();
        queue_.pop_front();
        Transition t = step(state_, event, context_.loop.now(), policy_);
        if (t.deferred) {
            if (deferred_.size() < kMaxDeferredCommands) {
                deferred_.push_back(event);
            } else {
                spdlog::warn("{}: {} dropped: {} commands already wait for control/{}", label_,
                             event_name(event), deferred_.size(), state_.control->script);
            }
            continue;
        }
        if (t.ignored) {
            spdlog::debug("{}: {} ignored in state {}", label_, event_name(event),
                          to_string(state_.state));
            continue;
        }
        const bool script_ended = state_.control && !t.next.control;
        state_ = t.next;
        for (const Action& action : t.actions) execute(action);
        // A script's end can leave the program settled without a change of state: the
        // owner must hear of it all the same (a stop waits for control/d).
        if (script_ended && !state_.control && on_change_) on_change_(state_.state, state_.state);
        take_deferred();
    }
    draining_ = false;
}

// Once no control script runs, the commands that waited for it go first, in order.
void SupervisedProcess::take_deferred() {
    if (state_.control || deferred_.empty()) return;
    queue_.insert(queue_.begin(), deferred_.begin(), deferred_.end());
    deferred_.clear();
}

bool SupervisedProcess::settled() const noexcept {
    return !running() && (state_.state == State::Down || state_.state == State::Failed);
}

void SupervisedProcess::execute(const Action& action) {
    std::visit(core::Overloaded{
                   [this](const Spawn&) { spawn_run(); },
                   [this](const SpawnFinish& a) { spawn_finish(a); },
                   [this](const Signal& a) { signal_run(a.sig, a.group); },
                   [this](const SignalFinish& a) {
                       if (finish_) (void)context_.children.signal(finish_.id(), a.sig);
                   },
                   [this](const ArmTimer& a) { arm_timer(a); },
                   [this](const CancelTimer&) { timer_.reset(); },
                   [this](const Notify& a) {
                       if (a.to == State::Backoff || a.to == State::Failed) {
                           spdlog::warn("{}: {}", label_, failure_reason());
                       }
                       if (on_change_) on_change_(a.from, a.to);
                   },
                   [this](const RunControl& a) { run_control(a); },
                   [this](const KillControl&) { kill_control(); },
               },
               action);
}

void SupervisedProcess::signal_run(int sig, bool group) {
    // KILL ends a sandbox's whole tree at once, its init gone or not.
    if (sig == SIGKILL && sandbox_ && sandbox_->kill_all()) return;
    if (!run_) return;  // gone already: its exit is on its way
    auto sent = group ? context_.children.signal_group(run_.id(), sig)
                      : context_.children.signal(run_.id(), sig);
    if (!sent) {
        spdlog::warn("{}: {}", label_, sent.error().message());
    }
}

core::Result<core::UniqueFd> SupervisedProcess::open_stdin() const {
    core::UniqueFd devnull;
    if (!stdio_.in) {
        devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!devnull) return core::sys_error("open /dev/null");
    }
    return devnull;
}

core::Result<core::TrackedChild> SupervisedProcess::spawn_program(
    const std::filesystem::path& path, std::vector<std::string> argv,
    core::ChildHost::ExitCallback on_exit) {
    auto devnull = open_stdin();
    if (!devnull) return std::unexpected(devnull.error());
    core::SpawnOptions options;
    options.path = path.string();
    options.argv = std::move(argv);
    options.cwd = spec_.dir.string();
    options.stdin_fd = stdio_.in ? stdio_.in->get() : devnull->get();
    options.stdout_fd = stdio_.out ? stdio_.out->get() : -1;
    options.stderr_fd = stdio_.err ? stdio_.err->get() : -1;
    return context_.children.spawn(options, std::move(on_exit));
}

core::Result<core::TrackedChild> SupervisedProcess::spawn_command(
    const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
    core::ChildHost::ExitCallback on_exit, std::vector<core::PassFd> pass) {
    auto devnull = open_stdin();
    if (!devnull) return std::unexpected(devnull.error());
    auto options = exec_options(spec_, argv, extra_env);
    if (!options) return std::unexpected(options.error());
    options->pass_fds = std::move(pass);
    options->stdin_fd = stdio_.in ? stdio_.in->get() : devnull->get();
    options->stdout_fd = stdio_.out ? stdio_.out->get() : -1;
    return context_.children.spawn(*options, std::move(on_exit));
}

core::Result<core::TrackedChild> SupervisedProcess::spawn_sandboxed(
    core::ChildHost::ExitCallback on_exit) {
    auto devnull = open_stdin();
    if (!devnull) return std::unexpected(devnull.error());
    // No lookups on the host: argv[0] is found in PATH inside the root, and the user is
    // the sandbox's own.
    core::SpawnOptions options;
    options.argv = spec_.command;
    options.env = exec_environment(spec_.exec, {}, {}, extra_env_);
    options.cwd = spec_.dir.string();
    options.stdin_fd = stdio_.in ? stdio_.in->get() : devnull->get();
    options.stdout_fd = stdio_.out ? stdio_.out->get() : -1;
    if (!sandbox_) sandbox_ = std::make_unique<SandboxRun>(context_.loop, context_.children, label_);
    // The stop timeout bounds the wait for the cgroup to empty after KILL too, as
    // systemd's TimeoutStopSec does after its final SIGKILL.
    return sandbox_->start(*sandbox_spec_, options, policy_.stop_timeout, std::move(on_exit));
}

void SupervisedProcess::spawn_run() {
    const bool toml = !spec_.command.empty();
    auto on_exit = [this](const core::ChildExit& exit) {
        run_.release();
        if (exit.spawn_failure) {
            if (exit.spawn_failure->stage == core::SpawnStage::Sandbox) {
                spawn_failure_ = exit.spawn_failure->describe();
            }
            spdlog::error("{}: cannot run {}: {}", label_,
                          spec_.command.empty() ? spec_.dir.string() + "/run" : spec_.command[0],
                          exit.spawn_failure->describe());
            post(SpawnFailed{exit.spawn_failure->error});
        } else {
            spdlog::debug("{}: run exited with {}", label_, exit.status.describe());
            post(ChildExited{exit.status});
        }
    };
    spawn_failure_.clear();
    // readiness type fd: the write end of a fresh pipe, run's at the declared number. Ours
    // closes when this returns, so the pipe's end-of-file comes from run's side alone.
    core::UniqueFd pass_fd;
    std::vector<core::PassFd> pass;
    if (hooks_.pass_fd) {
        auto fd = hooks_.pass_fd();
        if (!fd) {
            spdlog::error("{}: cannot start: {}", label_, fd.error().message());
            queue_.push_back(SpawnFailed{fd.error().code});
            return;
        }
        pass_fd = std::move(*fd);
        pass.push_back({pass_fd.get(), hooks_.pass_fd_target});
    }
    auto child = sandbox_spec_ ? spawn_sandboxed(std::move(on_exit))
                 : toml ? spawn_command(spec_.command, extra_env_, std::move(on_exit), pass)
                        : spawn_program(kRun, {kRun}, std::move(on_exit));
    if (!child) {
        spdlog::error("{}: cannot start {}: {}", label_, toml ? spec_.command[0] : kRun,
                      child.error().message());
        if (sandbox_spec_) spawn_failure_ = child.error().message();
        queue_.push_back(SpawnFailed{child.error().code});
        return;
    }
    run_ = std::move(*child);
    spdlog::debug("{}: started run (pid {})", label_, run_.id().pid);
    if (hooks_.spawned) hooks_.spawned();
}

void SupervisedProcess::spawn_finish(const SpawnFinish& args) {
    auto child = spawn_program(
        kFinish, {kFinish, std::to_string(args.exit_code_arg), std::to_string(args.signal_arg)},
        [this](const core::ChildExit& exit) {
            finish_.release();
            if (exit.spawn_failure) {
                spdlog::error("{}: cannot run {}/finish: {}", label_, spec_.dir.string(),
                              exit.spawn_failure->describe());
                post(FinishSpawnFailed{exit.spawn_failure->error});
            } else {
                post(FinishExited{exit.status});
            }
        });
    if (!child) {
        spdlog::error("{}: cannot start {}: {}", label_, kFinish, child.error().message());
        queue_.push_back(FinishSpawnFailed{child.error().code});
        return;
    }
    finish_ = std::move(*child);
}

// runsv's custom(): control/C from the service directory, argv[0] "control/C", stdout to
// the logger like run's; stdin /dev/null. Bounded by the deadline the state machine set.
void SupervisedProcess::run_control(const RunControl& control) {
    // A TOML service's [stop] command stands where runit's control/t would.
    const bool stop_command = control.script == 't' && !stop_command_.empty();
    const std::string name =
        stop_command ? std::string("stop command") : std::string("control/") + control.script;
    auto on_exit = [this, name](const core::ChildExit& exit) {
        control_.release();
        control_timer_.reset();
        if (exit.spawn_failure) {
            spdlog::warn("{}: cannot run {}/{}: {}", label_, spec_.dir.string(), name,
                         exit.spawn_failure->describe());
            post(ControlSpawnFailed{exit.spawn_failure->error});
        } else {
            spdlog::debug("{}: {} exited with {}", label_, name, exit.status.describe());
            post(ControlExited{exit.status});
        }
    };
    auto child = stop_command ? spawn_command(stop_command_, {}, std::move(on_exit))
                              : spawn_program("./" + name, {name}, std::move(on_exit));
    if (!child) {
        spdlog::warn("{}: cannot start {}: {}", label_, name, child.error().message());
        queue_.push_back(ControlSpawnFailed{child.error().code});
        return;
    }
    control_ = std::move(*child);
    control_script_ = control.script;
    auto delay = std::max(Duration::zero(), control.deadline - context_.loop.now());
    auto armed = context_.loop.add_timer(delay, false, [this] {
        control_timer_.release();
        post(ControlTimedOut{});
    });
    if (armed) {
        control_timer_ = std::move(*armed);
    } else {  // unbounded would be worse than none: give up on it now
        spdlog::error("{}: {} timer: {}", label_, name, armed.error().message());
        queue_.push_back(ControlTimedOut{});
    }
}

// After its deadline: KILL it and let the reaper take it as an orphan, so a script stuck
// where KILL cannot reach it holds up nothing.
void SupervisedProcess::kill_control() {
    control_timer_.reset();
    if (!control_) return;
    spdlog::warn("{}: control/{} ran out of time ({}); killed, and taken as failed", label_,
                 control_script_, seconds_text(policy_.stop_timeout));
    (void)context_.children.signal(control_.id(), SIGKILL);
    control_.reset();
}

void SupervisedProcess::arm_timer(const ArmTimer& timer) {
    timer_.reset();
    auto delay = std::max(Duration::zero(), timer.deadline - context_.loop.now());
    auto purpose = timer.purpose;
    auto armed = context_.loop.add_timer(delay, false, [this, purpose] {
        timer_.release();
        post(TimerFired{purpose});
    });
    if (!armed) {
        spdlog::error("{}: {} timer: {}", label_, to_string(purpose), armed.error().message());
        return;
    }
    timer_ = std::move(*armed);
}

ProcessStatus SupervisedProcess::status() const {
    ProcessStatus s;
    s.state = state_.state;
    switch (state_.state) {
        case State::Starting:
        case State::Run:
        case State::Stopping:
            s.pid = run_ ? run_.id().pid : 0;
            break;
        case State::Finish:
            s.pid = finish_ ? finish_.id().pid : 0;
            break;
        case State::Down:
        case State::Backoff:
        case State::Failed:
            break;
    }
    auto age = std::chrono::duration_cast<std::chrono::system_clock::duration>(context_.loop.now() -
                                                                               state_.since);
    s.since = std::chrono::system_clock::now() - age;
    s.want = state_.want;
    s.normally_down = state_.normally_down;
    s.paused = state_.paused;
    s.got_term = state_.state == State::Stopping;
    s.last_exit = state_.last_exit;
    s.restarts = static_cast<std::uint32_t>(std::min<std::uint64_t>(state_.restarts, UINT32_MAX));
    s.reason = failure_reason();
    if (sandbox_ && s.pid != 0) s.usage = sandbox_->usage();
    return s;
}

std::string SupervisedProcess::failure_reason() const {
    switch (state_.fail_reason) {
        case FailReason::None:
            return {};
        case FailReason::ExitedQuickly: {
            std::string what = state_.last_exit ? state_.last_exit->describe() : "exit";
            std::string delay =
                state_.timer ? fmt::format("; restarting in {}",
                                           seconds_text(state_.timer->deadline - state_.since))
                             : "";
            return fmt::format("exited with {} after {}{} (attempt {})", what,
                               seconds_text(state_.last_run), delay, state_.failures);
        }
        case FailReason::SpawnFailed:
            return fmt::format("cannot run: {} (attempt {})",
                               spawn_failure_.empty() ? std::strerror(state_.spawn_error)
                                                      : spawn_failure_,
                               state_.failures);
        case FailReason::FinishSaidNoRestart:
            return "finish exited 125: not restarting until asked to";
        case FailReason::StartLimit:
            return fmt::format("start limit hit: {} starts within {}; not restarting until "
                               "svctl up{}",
                               state_.recent_starts.size(),
                               policy_.start_limit ? seconds_text(policy_.start_limit->interval)
                                                   : std::string("?"),
                               spawn_failure_.empty() ? "" : " (last: " + spawn_failure_ + ")");
        case FailReason::NotReady:
            return fmt::format("not ready within {}; restarting in {} (attempt {})",
                               seconds_text(policy_.ready_timeout),
                               state_.timer ? seconds_text(state_.timer->deadline - state_.since)
                                            : std::string("?"),
                               state_.failures);
        case FailReason::Unhealthy:
            return fmt::format("unhealthy: its health check failed too often in a row; "
                               "restarting in {} (attempt {})",
                               state_.timer ? seconds_text(state_.timer->deadline - state_.since)
                                            : std::string("?"),
                               state_.failures);
        case FailReason::NoRestart: {
            std::string what = state_.last_exit ? state_.last_exit->describe() : "exit";
            return fmt::format("exited with {}; restart policy never: not restarting until "
                               "svctl up",
                               what);
        }
    }
    return {};
}

void SupervisedProcess::update(ProcessSpec spec, Policy policy) {
    spec_ = std::move(spec);
    policy_ = policy;
    state_.normally_down = spec_.normally_down;
}

}  // namespace svinit::services
