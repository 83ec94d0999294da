#pragma once
// The one owner of every wait call in svinit.
//
// svinit's own children ("tracked") are each known by a pidfd, and their status goes
// to whoever started them. Orphans the kernel reparents to svinit (as PID 1, or as a
// child subreaper) must be reaped too. A reap pass calls waitid(P_ALL, WEXITED|WNOHANG)
// once per zombie and dispatches on si_pid: a tracked pid's status goes to its owner, any
// other pid was an orphan. A zombie's pid cannot be reused until it is reaped, and only
// this class reaps, so a pid in the tracked table is that child: race-free, and one
// syscall per orphan (as tini's waitpid(-1) loop).
// Passes run on SIGCHLD (which coalesces, so a pass loops until nothing is left) and
// when a tracked pidfd becomes readable.
//
// A running child costs one fd, its pidfd: why a child could not exec comes through one
// pipe shared by all of them (SpawnReports), read when its exit is seen.

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/child_host.h"
#include "core/event_loop.h"

namespace svinit::core {

class ChildReaper final : public ChildHost {
public:
    explicit ChildReaper(EventLoop& loop) : loop_(loop) {}
    ChildReaper(const ChildReaper&) = delete;
    ChildReaper& operator=(const ChildReaper&) = delete;

    // ChildHost
    Result<TrackedChild> spawn(const SpawnOptions& options, ExitCallback on_exit) override;
    void untrack(ChildToken token) override;
    Result<void> signal(ChildToken token, int sig) override;
    Result<void> signal_group(ChildToken token, int sig) override;

    // Takes a child started with core::spawn(options, reports()) and watches it.
    Result<TrackedChild> track(Child child, ExitCallback on_exit) override;
    // The pipe children report exec failures to; null when it cannot be opened.
    const SpawnReports* reports() override;

    // Reaps every child that has exited. Safe to call at any time.
    void reap_all();

    // Runs after each reap pass that found svinit has no children left at all; one
    // listener at a time, for as long as the handle lives.
    void on_no_children_remove(std::uint64_t serial);
    using NoChildrenListener =
        Registration<ChildReaper, std::uint64_t, &ChildReaper::on_no_children_remove>;
    NoChildrenListener on_no_children(Callback cb);

    bool has_children() const noexcept { return has_children_; }
    bool is_tracked(pid_t pid) const { return tracked_.contains(pid); }
    std::size_t tracked_count() const noexcept { return tracked_.size(); }
    std::size_t orphans_reaped() const noexcept { return orphans_reaped_; }

private:
    struct Tracked {
        Child child;
        std::uint64_t serial = 0;
        WatchHandle watch;
        ExitCallback on_exit;
    };

    Tracked* find(ChildToken token);
    void reap_tracked(const siginfo_t& info);
    void reap_orphan(const siginfo_t& info);
    std::optional<SpawnFailure> take_report(pid_t pid);

    EventLoop& loop_;
    SpawnReports reports_;  // opened at the first spawn
    std::unordered_map<pid_t, Tracked> tracked_;
    // Children spawned but never watched (track failed), until they are reaped.
    std::unordered_set<pid_t> abandoned_;
    std::uint64_t next_serial_ = 1;
    Callback on_no_children_;
    std::uint64_t no_children_serial_ = 0;
    bool has_children_ = true;
    bool in_pass_ = false;
    std::size_t orphans_reaped_ = 0;
};

}  // namespace svinit::core
