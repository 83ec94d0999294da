#include "sandbox/cgroup_watch.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace svinit::sandbox {

core::Result<std::unique_ptr<CgroupEmptyWatch>> CgroupEmptyWatch::start(core::EventLoop& loop,
                                                                        const SandboxCgroup& cgroup,
                                                                        core::Callback on_empty) {
    auto inotify = core::Inotify::open();
    if (!inotify) return std::unexpected(inotify.error());
    // Watch before the first read, so that no change falls between the two.
    if (auto wd = inotify->add_watch(cgroup.events_file(), IN_MODIFY); !wd) {
        return std::unexpected(wd.error());
    }
    std::unique_ptr<CgroupEmptyWatch> watch(
        new CgroupEmptyWatch(cgroup, std::move(*inotify), std::move(on_empty)));
    CgroupEmptyWatch* self = watch.get();
    auto watching = loop.watch_readable(self->inotify_.fd(), [self] {
        (void)self->inotify_.read_events();
        self->check();
    });
    if (!watching) return std::unexpected(watching.error());
    self->watch_ = std::move(*watching);
    // The first look runs from the loop too, so on_empty never runs inside start().
    auto first = loop.add_timer(std::chrono::nanoseconds(0), false, [self] {
        self->first_check_.release();
        self->check();
    });
    if (!first) return std::unexpected(first.error());
    self->first_check_ = std::move(*first);
    return watch;
}

void CgroupEmptyWatch::check() {
    if (fired_) return;
    auto populated = cgroup_.populated();
    if (!populated) {
        spdlog::warn("{}: {}", cgroup_.events_file(), populated.error().message());
        return;
    }
    if (*populated) return;
    fired_ = true;
    watch_.reset();
    on_empty_();
}

}  // namespace svinit::sandbox
