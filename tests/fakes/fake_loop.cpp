#include "fakes/fake_loop.h"

#include <poll.h>

#include <algorithm>
#include <vector>

namespace svinit::test {

FakeLoop::~FakeLoop() = default;

core::Result<core::WatchId> FakeLoop::add_readable(int fd, core::Callback cb) {
    const core::WatchId id{next_id_++};
    watches_.emplace(id, std::make_shared<Watch>(Watch{fd, POLLIN, std::move(cb)}));
    return id;
}

core::Result<core::WatchId> FakeLoop::add_writable(int fd, core::Callback cb) {
    const core::WatchId id{next_id_++};
    watches_.emplace(id, std::make_shared<Watch>(Watch{fd, POLLOUT, std::move(cb)}));
    return id;
}

core::Result<core::TimerId> FakeLoop::add_timer_id(core::Duration after, bool repeat,
                                                   core::Callback cb) {
    const core::TimerId id{next_id_++};
    after = std::max(after, core::Duration::zero());
    timers_.emplace(id, std::make_shared<Timer>(
                            Timer{now_ + after, repeat ? after : core::Duration{}, std::move(cb)}));
    return id;
}

std::optional<core::TimePoint> FakeLoop::next_deadline() const {
    std::optional<core::TimePoint> next;
    for (const auto& [id, timer] : timers_) {
        if (!next || timer->deadline < *next) next = timer->deadline;
    }
    return next;
}

// The earliest due timer (ties: the one armed first).
bool FakeLoop::fire_one_due_timer() {
    auto due = timers_.end();
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        if (it->second->deadline > now_) continue;
        if (due == timers_.end() || it->second->deadline < due->second->deadline) due = it;
    }
    if (due == timers_.end()) return false;
    const std::shared_ptr<Timer> timer = due->second;  // the callback may cancel itself
    if (timer->period == core::Duration::zero()) {
        timers_.erase(due);
    } else {
        timer->deadline += timer->period;
    }
    timer->cb();
    return true;
}

std::size_t FakeLoop::fire_ready_watches(std::size_t budget) {
    if (watches_.empty() || budget == 0) return 0;
    std::vector<std::pair<core::WatchId, pollfd>> polled;
    polled.reserve(watches_.size());
    for (const auto& [id, watch] : watches_)
        polled.push_back({id, pollfd{watch->fd, watch->events, 0}});
    std::vector<pollfd> fds;
    fds.reserve(polled.size());
    for (const auto& [id, p] : polled) fds.push_back(p);
    if (::poll(fds.data(), fds.size(), 0) <= 0) return 0;
    std::size_t fired = 0;
    for (std::size_t i = 0; i < fds.size() && fired < budget; ++i) {
        if (fds[i].revents == 0) continue;
        const auto it = watches_.find(polled[i].first);
        if (it == watches_.end()) continue;  // removed by an earlier callback of this batch
        const std::shared_ptr<Watch> watch = it->second;
        watch->cb();
        ++fired;
    }
    return fired;
}

std::size_t FakeLoop::run_ready(std::size_t max_callbacks) {
    std::size_t ran = 0;
    while (ran < max_callbacks) {
        if (fire_one_due_timer()) {
            ++ran;
            continue;
        }
        const std::size_t fired = fire_ready_watches(max_callbacks - ran);
        if (fired == 0) break;
        ran += fired;
    }
    return ran;
}

bool FakeLoop::advance_to_next_timer() {
    const auto next = next_deadline();
    if (!next) return false;
    now_ = std::max(now_, *next);
    run_ready();
    return true;
}

void FakeLoop::advance(core::Duration by) {
    const core::TimePoint end = now_ + by;
    run_ready();
    while (true) {
        const auto next = next_deadline();
        if (!next || *next > end) break;
        now_ = std::max(now_, *next);
        run_ready();
    }
    now_ = end;
    run_ready();
}

core::Result<void> FakeLoop::run() {
    stop_requested_ = false;
    while (!stop_requested_) {
        if (run_ready(1) > 0) continue;
        if (!advance_to_next_timer()) {
            if (watches_.empty())
                return core::error(0, "fake loop: run() with nothing to wait for");
            // Watches only, none ready: a real loop would block; a fake one must not.
            return core::error(EWOULDBLOCK, "fake loop: run() would block on fds");
        }
    }
    stop_requested_ = false;
    return {};
}

}  // namespace svinit::test
