#pragma once
// Where supervised programs come from: spawn a child, learn its exit, signal it. The
// real one is ChildReaper (clone3 + pidfd); unit tests use a fake that runs no process,
// so Service, Supervisor and the rest run with a fake loop and no sleeps.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>

#include "core/error.h"
#include "core/exit_status.h"
#include "core/registration.h"
#include "core/spawn.h"

namespace svinit::core {

struct ChildExit {
    pid_t pid = 0;
    ExitStatus status;
    std::optional<SpawnFailure> spawn_failure;  // set when the child never reached exec
};

// A tracked child: its pid and a serial that is never reused, so a handle kept past its
// child's exit can never reach a later child that got the same pid.
struct ChildToken {
    pid_t pid = 0;
    std::uint64_t serial = 0;
};

class ChildHost {
public:
    using ExitCallback = std::function<void(const ChildExit&)>;

    virtual ~ChildHost() = default;

    // Stops tracking a child whose owner is going away: its callback will not run, and
    // it is reaped as an orphan when it exits. Harmless once the child was reaped.
    virtual void untrack(ChildToken token) = 0;

    // Owns the tracking of one child, as UniqueFd owns an fd: destroying it untracks.
    using TrackedChild = Registration<ChildHost, ChildToken, &ChildHost::untrack>;

    // Starts a child and tracks it: on_exit runs once, after it is reaped (or, when it
    // failed before exec, with spawn_failure set).
    virtual Result<TrackedChild> spawn(const SpawnOptions& options, ExitCallback on_exit) = 0;

    // A child started elsewhere (a sandbox's init, from sandbox::spawn_sandbox) with
    // reports(), so its failures before exec come back as spawn_failure like a spawn()'s.
    virtual Result<TrackedChild> track(Child child, ExitCallback on_exit) = 0;
    // The pipe such children report to; null when it cannot be opened.
    virtual const SpawnReports* reports() = 0;

    // Signals a tracked child through its pidfd, so a reused pid is never hit.
    virtual Result<void> signal(ChildToken token, int sig) = 0;

    // Signals a tracked child's process group (spawned with new_process_group, so its pid
    // names it), so children of a `sh -c` go too. Falls back to signal() where there are
    // no groups (a fake).
    virtual Result<void> signal_group(ChildToken token, int sig) { return signal(token, sig); }
};

using TrackedChild = ChildHost::TrackedChild;

}  // namespace svinit::core
