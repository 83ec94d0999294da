#pragma once
// A sandboxed service's run (TOML's [services.NAME.sandbox]): started through
// sandbox::spawn_sandbox, its init tracked like any child, and its cgroup kept with it.
// The run counts as ended only once the init has exited and the cgroup is empty: what is
// left after the init goes at once (cgroup.kill), so a restart never meets a half-dead
// tree and the cgroup's name can be reused. A cgroup that does not empty within a grace
// period after cgroup.kill (a process stuck in the kernel, in D state) is left: the run
// ends with a warning, and the next start is refused until the cgroup is empty.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/child_host.h"
#include "core/event_loop.h"
#include "core/spawn.h"
#include "sandbox/cgroup.h"
#include "sandbox/cgroup_watch.h"
#include "sandbox/sandbox_spec.h"

namespace svinit::services {

class SandboxRun {
public:
    SandboxRun(core::EventLoop& loop, core::ChildHost& children, std::string label)
        : loop_(loop), children_(children), label_(std::move(label)) {}
    SandboxRun(const SandboxRun&) = delete;
    SandboxRun& operator=(const SandboxRun&) = delete;

    // Starts `options` (argv, env, cwd, stdio) in the sandbox. `on_gone` runs once, with
    // the init's exit (a setup failure as its spawn_failure), when the init has exited and
    // the cgroup is empty, or `empty_grace` after cgroup.kill if it never empties (at least
    // kMinEmptyGrace). An error: nothing was started (no cgroup, a limit that cannot be
    // enforced, a user missing in the root, the last run's cgroup still populated).
    core::Result<core::TrackedChild> start(const sandbox::SandboxSpec& spec,
                                           const core::SpawnOptions& options,
                                           core::Duration empty_grace,
                                           core::ChildHost::ExitCallback on_gone);

    // SIGKILL to every process in the sandbox at once. False when there is no cgroup.
    bool kill_all();
    // The init has exited; the rest of the tree is not gone yet.
    bool emptying() const noexcept { return exit_.has_value(); }
    // The cgroup's usage while the run lasts ("memory 12.4M, 3 procs"); empty otherwise.
    std::string usage() const { return cgroup_.usage(); }

    // The shortest grace: SIGKILL takes a moment to reach every process, even with a stop
    // timeout of 0.
    static constexpr core::Duration kMinEmptyGrace = std::chrono::seconds(1);

private:
    void init_exited(const core::ChildExit& exit);
    void arm_grace();
    void abandon();
    void gone();

    core::EventLoop& loop_;
    core::ChildHost& children_;
    std::string label_;
    core::ChildHost::ExitCallback on_gone_;
    std::optional<core::ChildExit> exit_;  // the init's, while the cgroup empties
    sandbox::SandboxCgroup cgroup_;
    // After cgroup_, which it reads: gone first.
    std::unique_ptr<sandbox::CgroupEmptyWatch> empty_watch_;
    core::Duration empty_grace_ = kMinEmptyGrace;
    core::TimerHandle grace_timer_;  // armed while the cgroup empties
};

}  // namespace svinit::services
