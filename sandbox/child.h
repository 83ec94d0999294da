#pragma once
// The sandbox's side of the clone: everything runs in the cloned child, which is a copy of
// svinit (single-threaded, so it may allocate) that never execs svinit again. It waits at
// the gate until the parent has written the id maps and placed it in its cgroups, walks the
// setup plan, then forks the worker and stays as the sandbox's init: PID 1 of the new PID
// namespace, reaping zombies, passing signals on and exiting with the worker's status
// (128+N for signal N). Every failing step writes {stage, errno, detail} to the report pipe.

#include <sys/types.h>

#include <string>
#include <vector>

#include "sandbox/capabilities.h"
#include "sandbox/credentials.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/setup_plan.h"

namespace svinit::sandbox {

// Everything the child needs, built before clone.
struct ChildPlan {
    std::vector<Step> steps;
    int report_fd = -1;  // SpawnReports' write end (close-on-exec, shared with every child)
    int gate_fd = -1;    // read end: our pid (as svinit sees it) means go; end of file, give up
    int stdio[3] = {-1, -1, -1};  // -1: keep svinit's
    // The worker: the paths to try in order (a name searched in PATH inside the root).
    std::vector<std::string> exec_paths;
    char* const* argv = nullptr;
    char* const* envp = nullptr;
    Credentials creds;
    bool set_groups = true;  // false where setgroups is denied (a rootless user namespace)
    Capabilities caps;
    bool no_new_privileges = true;
    const SeccompFilter* seccomp = nullptr;
    bool pid_namespace = true;
};

[[noreturn]] void sandbox_child_main(const ChildPlan& plan) noexcept;

}  // namespace svinit::sandbox
