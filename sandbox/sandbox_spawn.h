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

// `name` names the cgroup (svinit-sandbox-NAME). The spec must have passed check().
core::Result<SandboxChild> spawn_sandbox(const SandboxSpec& spec, const SandboxCommand& command,
                                         const CgroupHost& cgroups, std::string_view name,
                                         const core::SpawnReports& reports);

// The lines written to /proc/PID/uid_map or gid_map: "0 1000 1\n".
std::string map_text(const std::vector<IdMap>& maps);

}  // namespace svinit::sandbox
