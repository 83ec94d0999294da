#pragma once
// Starting a command in a sandbox, runc's way: clone3 with the namespace flags,
// CLONE_PIDFD and CLONE_INTO_CGROUP; the parent writes the uid/gid maps and finishes the
// cgroup while the child waits at a gate; then the child sets itself up
// (sandbox/child.h) and the worker execs. What comes back is an ordinary core::Child (the
// sandbox's init, known by its pidfd, with the spawn report pipe every child has), so
// core::ChildReaper tracks it like any other, plus the sandbox's cgroup.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/spawn.h"
#include "sandbox/cgroup.h"
#include "sandbox/sandbox_spec.h"

namespace svinit::sandbox {

struct SandboxCommand {
    std::vector<std::string> argv;  // argv[0]: a path inside the root, or a name in PATH there
    std::optional<std::vector<std::string>> env;  // "NAME=VALUE"; nullopt: svinit's own
    std::string cwd = "/";                        // inside the root
    int stdin_fd = -1;                            // -1: svinit's own
    int stdout_fd = -1;
    int stderr_fd = -1;
};

struct SandboxChild {
    core::Child init;  // the sandbox's init (PID 1 inside a PID namespace)
    SandboxCgroup cgroup;
    std::vector<std::string> notes;  // worth a log line: "chroot instead of pivot_root: ..."
};

// Starts `command` in a sandbox. `name` names the cgroup (svinit-sandbox-NAME, a plain
// file name); the spec must pass check(). Setup failures come back as the init's
// SpawnFailure on `reports` (stage Sandbox, "pivot_root(/srv/web/root)"), so a
// core::ChildReaper that owns `reports` and track()s the init reports them like any
// child's. Failures before the clone (the cgroup, a limit it cannot enforce, the user
// lookup) are the error returned. Blocks only on writes to /proc and cgroupfs.
//
// For the supervisor (docs/sandbox.md, "Running a service in its sandbox"): build the
// command with sandbox_command(spawn options), track `init` with ChildReaper::track, keep
// `cgroup` with the service; when the init has exited, cgroup.kill() and wait for
// CgroupEmptyWatch before the next start or removal.
core::Result<SandboxChild> spawn_sandbox(const SandboxSpec& spec, const SandboxCommand& command,
                                         const CgroupHost& cgroups, std::string_view name,
                                         const core::SpawnReports& reports);

// What a service's spawn options ask, as a sandboxed command: argv, env, cwd and stdio.
// `options.path` (resolved on the host) is not used: argv[0] is looked up inside the root.
SandboxCommand sandbox_command(const core::SpawnOptions& options);

// The lines written to /proc/PID/uid_map or gid_map: "0 1000 1\n".
std::string map_text(const std::vector<IdMap>& maps);

}  // namespace svinit::sandbox
