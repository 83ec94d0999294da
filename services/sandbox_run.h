#pragma once
// A sandboxed service's run (TOML's [services.NAME.sandbox]): started through
// sandbox::spawn_sandbox, its init tracked like any child, and its cgroup kept with it.
// The run counts as ended only once the init has exited and the cgroup is empty: what is
// left after the init goes at once (cgroup.kill), so a restart never meets a half-dead
// tree and the cgroup's name can be reused.

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
    // the cgroup is empty. An error: nothing was started (no cgroup, a limit that cannot
    // be enforced, a user missing in the root).
    core::Result<core::TrackedChild> start(const sandbox::SandboxSpec& spec,
                                           const core::SpawnOptions& options,
                                           core::ChildHost::ExitCallback on_gone);

    // SIGKILL to every process in the sandbox at once. False when there is no cgroup.
    bool kill_all();
    // The init has exited; the rest of the tree is not gone yet.
    bool emptying() const noexcept { return exit_.has_value(); }
    // The cgroup's usage while the run lasts ("memory 12.4M, 3 procs"); empty otherwise.
    std::string usage() const { return cgroup_.usage(); }

private:
    void init_exited(const core::ChildExit& exit);
    void gone();

    core::EventLoop& loop_;
    core::ChildHost& children_;
    std::string label_;
    core::ChildHost::ExitCallback on_gone_;
    std::optional<core::ChildExit> exit_;  // the init's, while the cgroup empties
    sandbox::SandboxCgroup cgroup_;
    // After cgroup_, which it reads: gone first.
    std::unique_ptr<sandbox::CgroupEmptyWatch> empty_watch_;
};

}  // namespace svinit::services
