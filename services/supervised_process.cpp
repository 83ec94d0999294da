#include "services/supervised_process.h"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

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

void SupervisedProcess::start() {
    Transition t = services::start(spec_.normally_down, context_.loop.now(), policy_);
    state_ = t.next;
    for (const Action& action : t.actions) execute(action);
    drain();
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
        if (t.ignored) {
            spdlog::debug("{}: {} ignored in state {}", label_, event_name(event),
                          to_string(state_.state));
            continue;
        }
        state_ = t.next;
        for (const Action& action : t.actions) execute(action);
    }
    draining_ = false;
}

bool SupervisedProcess::settled() const noexcept {
    return !running() && (state_.state == State::Down || state_.state == State::Failed);
}

void SupervisedProcess::execute(const Action& action) {
    std::visit(
        [this](const auto& a) {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, Spawn>) {
                spawn_run();
            } else if constexpr (std::is_same_v<A, SpawnFinish>) {
                spawn_finish(a);
            } else if constexpr (std::is_same_v<A, Signal>) {
                if (auto sent = signal(a.sig); !sent) {
                    spdlog::warn("{}: {}", label_, sent.error().message());
                }
            } else if constexpr (std::is_same_v<A, SignalFinish>) {
                if (finish_) (void)context_.children.signal(finish_.id(), a.sig);
            } else if constexpr (std::is_same_v<A, ArmTimer>) {
                arm_timer(a);
            } else if constexpr (std::is_same_v<A, CancelTimer>) {
                timer_.reset();
            } else if constexpr (std::is_same_v<A, Notify>) {
                if (a.to == State::Backoff || a.to == State::Failed) {
                    spdlog::warn("{}: {}", label_, failure_reason());
                }
                if (on_change_) on_change_(a.from, a.to);
            }
        },
        action);
}

core::Result<core::TrackedChild> SupervisedProcess::spawn_program(
    const std::filesystem::path& path, std::vector<std::string> argv,
    core::ChildHost::ExitCallback on_exit) {
    core::UniqueFd devnull;
    if (!stdio_.in) {
        devnull.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (!devnull) return core::sys_error("open /dev/null");
    }
    core::SpawnOptions options;
    options.path = path.string();
    options.argv = std::move(argv);
    options.cwd = spec_.dir.string();
    options.stdin_fd = stdio_.in ? stdio_.in->get() : devnull.get();
    options.stdout_fd = stdio_.out ? stdio_.out->get() : -1;
    return context_.children.spawn(options, std::move(on_exit));
}

void SupervisedProcess::spawn_run() {
    auto child = spawn_program(kRun, {kRun}, [this](const core::ChildExit& exit) {
        run_.release();
        if (exit.spawn_failure) {
            spdlog::error("{}: cannot run {}/run: {}", label_, spec_.dir.string(),
                          exit.spawn_failure->describe());
            post(SpawnFailed{exit.spawn_failure->error});
        } else {
            spdlog::debug("{}: run exited with {}", label_, exit.status.describe());
            post(ChildExited{exit.status});
        }
    });
    if (!child) {
        spdlog::error("{}: cannot start {}: {}", label_, kRun, child.error().message());
        queue_.push_back(SpawnFailed{child.error().code});
        return;
    }
    run_ = std::move(*child);
    spdlog::debug("{}: started run (pid {})", label_, run_.id().pid);
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

core::Result<void> SupervisedProcess::signal(int sig) {
    if (!run_) return core::error(ESRCH, fmt::format("{}: not running", label_));
    return context_.children.signal(run_.id(), sig);
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
            return fmt::format("cannot run: {} (attempt {})", std::strerror(state_.spawn_error),
                               state_.failures);
        case FailReason::FinishSaidNoRestart:
            return "finish exited 125: not restarting until asked to";
    }
    return {};
}

void SupervisedProcess::update(ProcessSpec spec, Policy policy) {
    spec_ = std::move(spec);
    policy_ = policy;
    state_.normally_down = spec_.normally_down;
}

}  // namespace svinit::services
