#include "services/sandbox_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>

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
                                                   core::ChildHost::ExitCallback on_gone) {
    // A run still emptying would lose its exit: the state machine never starts over it.
    if (exit_) return core::error(EBUSY, "the last run's cgroup is not empty yet");
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
}

void SandboxRun::gone() {
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
