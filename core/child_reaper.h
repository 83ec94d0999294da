#pragma once
// The one owner of every wait call in svinit.
//
// svinit's own children ("tracked") are each known by a pidfd, and their status goes
// to whoever started them. Orphans the kernel reparents to svinit (as PID 1, or as a
// child subreaper) must be reaped too, without ever taking a tracked child's status.
// So a reap pass peeks with waitid(P_ALL, WEXITED|WNOHANG|WNOWAIT): a tracked pid is
// reaped through its pidfd and handed to its owner, any other pid is reaped as an
// orphan. A zombie's pid cannot be reused until it is reaped, so this is race-free.
// Passes run on SIGCHLD (which coalesces, so a pass loops until nothing is left) and
// when a tracked pidfd becomes readable.

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <unordered_map>

#include "core/event_loop.h"
#include "core/exit_status.h"
#include "core/spawn.h"

namespace svinit::core {

struct ChildExit {
    pid_t pid = 0;
    ExitStatus status;
    std::optional<SpawnFailure> spawn_failure;  // set when the child never reached exec
};

class ChildReaper {
public:
    using ExitCallback = std::function<void(const ChildExit&)>;

    explicit ChildReaper(EventLoop& loop) : loop_(loop) {}
    ChildReaper(const ChildReaper&) = delete;
    ChildReaper& operator=(const ChildReaper&) = delete;

    // Takes the child (its pidfd and spawn report) and watches it; on_exit runs once,
    // after the child is reaped.
    Result<void> track(Child child, ExitCallback on_exit);

    // Stops tracking a child whose owner is going away: its callback will not run, and
    // it is reaped as an orphan when it exits.
    void untrack(pid_t pid);

    // Signals a tracked child through its pidfd, so a reused pid is never hit.
    Result<void> send_signal(pid_t pid, int sig);

    // Reaps every child that has exited. Safe to call at any time.
    void reap_all();

    // Runs after each reap pass that found svinit has no children left at all.
    void on_no_children(Callback cb) { on_no_children_ = std::move(cb); }

    bool has_children() const noexcept { return has_children_; }
    bool is_tracked(pid_t pid) const { return tracked_.contains(pid); }
    std::size_t tracked_count() const noexcept { return tracked_.size(); }
    std::size_t orphans_reaped() const noexcept { return orphans_reaped_; }

private:
    struct Tracked {
        Child child;
        WatchId watch{};
        ExitCallback on_exit;
    };

    void reap_tracked(pid_t pid);
    void reap_orphan(pid_t pid);

    EventLoop& loop_;
    std::unordered_map<pid_t, Tracked> tracked_;
    Callback on_no_children_;
    bool has_children_ = true;
    bool in_pass_ = false;
    std::size_t orphans_reaped_ = 0;
};

}  // namespace svinit::core
