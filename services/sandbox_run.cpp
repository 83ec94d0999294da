#include "services/sandbox_run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "sandbox/sandbox_spawn.h"

namespace svinit::services {
namespace {

// The cgroup is svinit-sandbox-NAME: a plain file name, whatever the service's label.
std::string cgroup_name(std::string label) {
    std::replace(label.begin(), label.end(), '/', '-');
    return label;
}

}  // namespace

core::Result<core::TrackedChild> SandboxRun::start(const sandbox::SandboxSpec& spec,
                                                   const core::SpawnOptions& options,
                                                   core::Duration empty_grace,
                                                   core::ChildHost::ExitCallback on_gone) {
    // A run still emptying would lose its exit: the state machine never starts over it.
    if (exit_) return core::error(EBUSY, "the last run's cgroup is not empty yet");
    // A run left after its grace: a new run beside a stuck process would share its name,
    // and its limits would not hold for the two together.
    if (cgroup_.placed() && cgroup_.populated().value_or(false)) {
        return core::error(0, fmt::format("the last run's cgroup {} still has processes after "
                                          "cgroup.kill (stuck in the kernel?); not starting "
                                          "until it is empty",
                                          cgroup_.v2_dir()));
    }
    empty_grace_ = std::max(empty_grace, kMinEmptyGrace);
    // The last run's watch stays, spent, until this run's ends: this start may come from
    // inside its callback (a restart without backoff).
    cgroup_ = sandbox::SandboxCgroup();  // the last run's directory goes: the name is reused
    const core::SpawnReports* reports = children_.reports();
    if (!reports) return core::error(EIO, "no spawn report pipe");
    // Read at every start: svinit's own cgroup is where it is now.
    auto host = sandbox::discover_cgroup_host();
    if (!host) return std::unexpected(host.error());
    auto child = sandbox::spawn_sandbox(spec, sandbox::sandbox_command(options), *host,
                                        cgroup_name(label_), *reports);
    if (!child) return std::unexpected(child.error());
    for (const std::string& note : child->notes) spdlog::info("{}: {}", label_, note);
    cgroup_ = std::move(child->cgroup);
    on_gone_ = std::move(on_gone);
    return children_.track(std::move(child->init),
                           [this](const core::ChildExit& exit) { init_exited(exit); });
}

bool SandboxRun::kill_all() {
    if (!cgroup_.placed()) return false;
    if (auto killed = cgroup_.kill(); !killed) {
        spdlog::warn("{}: {}", label_, killed.error().message());
    }
    return true;
}

// Whatever the init leaves (every process, without a PID namespace) goes at once; the
// run has ended when cgroup.events says so.
void SandboxRun::init_exited(const core::ChildExit& exit) {
    exit_ = exit;
    if (!cgroup_.placed()) {
        gone();
        return;
    }
    (void)kill_all();
    auto watch = sandbox::CgroupEmptyWatch::start(loop_, cgroup_, [this] { gone(); });
    if (!watch) {
        spdlog::warn("{}: cannot watch {}: {}", label_, cgroup_.events_file(),
                     watch.error().message());
        gone();
        return;
    }
    empty_watch_ = std::move(*watch);
    arm_grace();
}

void SandboxRun::arm_grace() {
    auto timer = loop_.add_timer(empty_grace_, false, [this] {
        grace_timer_.release();
        abandon();
    });
    if (!timer) {
        spdlog::warn("{}: no grace timer for {}: {}", label_, cgroup_.v2_dir(),
                     timer.error().message());
        return;
    }
    grace_timer_ = std::move(*timer);
}

// A process that does not leave the kernel keeps the cgroup populated: the service must
// not stay stopping for ever. The cgroup stays (its directory cannot go while populated).
void SandboxRun::abandon() {
    spdlog::warn("{}: processes still in {} {:g}s after cgroup.kill (stuck in the kernel?); "
                 "the run has ended, the next start waits until the cgroup is empty",
                 label_, cgroup_.v2_dir(), std::chrono::duration<double>(empty_grace_).count());
    empty_watch_.reset();  // not inside its callback: this is the timer's
    gone();
}

void SandboxRun::gone() {
    grace_timer_.reset();
    if (const auto kills = cgroup_.oom_kills(); kills > 0) {
        spdlog::error("{}: killed by the OOM killer (memory-max {})", label_,
                      sandbox::format_size(cgroup_.limits().memory_max.value_or(0)));
    }
    core::ChildExit exit = *exit_;
    exit_.reset();
    auto on_gone = std::move(on_gone_);
    on_gone_ = nullptr;
    if (on_gone) on_gone(exit);
}

}  // namespace svinit::services
