#pragma once
// The last duty of an init: SIGTERM (and SIGCONT, so stopped processes see it) to
// every process left, then SIGKILL after a grace period, and done the moment the
// last one is gone -- never sleeping out the whole grace period.
//
// "The last one": off PID 1 (a child subreaper) every descendant becomes svinit's child
// in the end, so no child left means none. As PID 1 processes that entered the namespace
// from outside (docker exec, nsenter) are nobody's child here, and the kernel kills them
// the moment PID 1 exits: so once svinit has no children, it finds the rest in /proc and
// waits on a pidfd of each, a bounded batch at a time, until a scan finds none.

#include <sys/types.h>

#include <cstddef>
#include <unordered_map>

#include "core/child_reaper.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"

namespace svinit::pid1 {

class FinalSweep {
public:
    // Whose words the sweep uses for its warning (my_init's own, in my_init mode).
    enum class Voice { Svinit, MyInit };

    FinalSweep(core::EventLoop& loop, core::ChildReaper& reaper, Voice voice = Voice::Svinit)
        : loop_(loop), reaper_(reaper), voice_(voice) {}

    // Starts the sweep; `done` runs once, when no process is left (or, should a process
    // refuse to die even after SIGKILL, e.g. stuck in the kernel, after a last guard).
    void start(core::Duration grace, core::Callback done);

    // At most this many processes that are not svinit's children are watched at once; more
    // are found by the next scan, when these are gone. Bounds the fds the sweep holds.
    static constexpr std::size_t kMaxWatched = 1024;

private:
    struct Stranger {
        core::UniqueFd pidfd;
        core::WatchHandle watch;  // after the fd: removed before it is closed
    };

    enum class Batch { NoneLeft, Watching, AllGone, Unwatchable };

    void check();
    Batch watch_strangers();
    void on_grace_expired();
    void finish();

    core::EventLoop& loop_;
    core::ChildReaper& reaper_;
    Voice voice_;
    bool as_pid1_ = false;
    core::Callback done_;
    core::TimerHandle timer_;
    core::ChildReaper::NoChildrenListener no_children_;
    std::unordered_map<pid_t, Stranger> strangers_;
    bool started_ = false;
    bool finished_ = false;
};

}  // namespace svinit::pid1
