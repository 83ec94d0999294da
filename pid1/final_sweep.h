#pragma once
// The last duty of an init: SIGTERM (and SIGCONT, so stopped processes see it) to
// every process left, then SIGKILL after a grace period, and done the moment the
// last child is gone -- never sleeping out the whole grace period.

#include "core/child_reaper.h"
#include "core/event_loop.h"

namespace svinit::pid1 {

class FinalSweep {
public:
    FinalSweep(core::EventLoop& loop, core::ChildReaper& reaper) : loop_(loop), reaper_(reaper) {}

    // Starts the sweep; `done` runs once, when no child is left (or, should a process
    // refuse to die even after SIGKILL, e.g. stuck in the kernel, after a last guard).
    void start(core::Duration grace, core::Callback done);

private:
    void on_grace_expired();
    void finish();

    core::EventLoop& loop_;
    core::ChildReaper& reaper_;
    core::Callback done_;
    core::TimerHandle timer_;
    core::ChildReaper::NoChildrenListener no_children_;
    bool started_ = false;
    bool finished_ = false;
};

}  // namespace svinit::pid1
