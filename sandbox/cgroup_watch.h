#pragma once
// "All gone": a sandbox's cgroup is empty when cgroup.events says "populated 0". The
// kernel signals a change of that file to inotify (IN_MODIFY) and to poll (POLLPRI); the
// loop watches fds for reading, so this uses inotify, which both backends watch alike.

#include <memory>

#include "core/error.h"
#include "core/event_loop.h"
#include "core/inotify.h"
#include "sandbox/cgroup.h"

namespace svinit::sandbox {

class CgroupEmptyWatch {
public:
    // Calls `on_empty` once, from the loop, when the cgroup has no process left (at once,
    // from the loop's next turn, when it is empty already). The cgroup must be placed and
    // outlive the watch.
    static core::Result<std::unique_ptr<CgroupEmptyWatch>> start(core::EventLoop& loop,
                                                                 const SandboxCgroup& cgroup,
                                                                 core::Callback on_empty);

private:
    CgroupEmptyWatch(const SandboxCgroup& cgroup, core::Inotify inotify, core::Callback on_empty)
        : cgroup_(cgroup), inotify_(std::move(inotify)), on_empty_(std::move(on_empty)) {}
    void check();

    const SandboxCgroup& cgroup_;
    core::Inotify inotify_;
    core::Callback on_empty_;
    core::WatchHandle watch_;
    core::TimerHandle first_check_;
    bool fired_ = false;
};

}  // namespace svinit::sandbox
