// The epoll backend, through libev: one ev_io per watch, one ev_timer per timer.
//
// The loop comes from ev_loop_new(EVBACKEND_EPOLL | ...), never ev_default_loop (it
// installs a SIGCHLD handler, and svinit reaps through signalfd/pidfds) and never with
// libev's io_uring backend (that is what the other backend is for). No ev_child,
// ev_signal or ev_async is used, so libev creates no pipes and touches no signals.
//
// Known limitation: libev caps every epoll_wait at MAX_BLOCKTIME (59.743 s) to bound
// the effect of clock jumps, so an idle epoll loop still wakes about once a minute.
// The io_uring backend has no such tick.

#include <ev.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/event_loop.h"

namespace svinit::core {
namespace {

// Where the loop that is running on this thread collects a libev system error.
thread_local std::optional<Error>* running_loop_syserr = nullptr;

// libev's default reaction to a failed system call (in practice epoll_wait failing
// with something other than EINTR) is perror() and abort(); abort() in PID 1 panics
// the kernel. So log it instead and have run() return it, leaving the decision to the
// caller. libev carries on safely when this returns: it just skips that poll.
void on_syserr(const char* msg) noexcept {
    const int code = errno;
    try {
        spdlog::critical("event loop (epoll): {}: {}", msg, std::strerror(code));
        if (running_loop_syserr != nullptr && !running_loop_syserr->has_value()) {
            *running_loop_syserr = Error{code, msg};
        }
    } catch (...) {
        // Nothing sensible left to do; above all, do not let it reach libev.
    }
}

// Callbacks must not throw (errors are values), but PID 1 must not die if one does,
// and an exception must never unwind through libev's C frames.
void run_callback(const Callback& cb) noexcept {
    try {
        cb();
    } catch (const std::exception& e) {
        spdlog::error("event loop: callback threw: {}", e.what());
    } catch (...) {
        spdlog::error("event loop: callback threw a non-standard exception");
    }
}

struct LoopDeleter {
    void operator()(struct ev_loop* loop) const noexcept { ev_loop_destroy(loop); }
};

class EvLoop;

struct Watch {
    ev_io io;  // io.data points back at this record
    EvLoop* owner;
    WatchId id;
    Callback cb;
};

struct Timer {
    ev_timer timer;  // timer.data points back at this record
    EvLoop* owner;
    TimerId id;
    bool repeat;
    Callback cb;
};

class EvLoop final : public EventLoop {
public:
    explicit EvLoop(struct ev_loop* loop) : loop_(loop) {}
    EvLoop(const EvLoop&) = delete;
    EvLoop& operator=(const EvLoop&) = delete;
    ~EvLoop() override;

    void remove_watch(WatchId id) override;
    void remove_timer(TimerId id) override;
    Result<void> run() override;
    // With EVRUN_ONCE, run() checks the flag after every turn; ev_break is not needed
    // (and would be forgotten if called before run(), as ev_run resets it).
    void stop() override { stop_requested_ = true; }
    std::string_view backend_name() const override { return "epoll"; }

protected:
    Result<WatchId> add_readable(int fd, Callback cb) override;
    Result<WatchId> add_writable(int fd, Callback cb) override;
    Result<TimerId> add_timer_id(Duration after, bool repeat, Callback cb) override;

private:
    Result<WatchId> add_watch(int fd, int events, Callback cb);
    static void on_io(struct ev_loop* loop, ev_io* io, int revents) noexcept;
    static void on_timer(struct ev_loop* loop, ev_timer* timer, int revents) noexcept;
    Result<void> run_until_stopped();

    std::unique_ptr<struct ev_loop, LoopDeleter> loop_;  // first: destroyed last
    std::unordered_map<WatchId, std::shared_ptr<Watch>> watches_;
    std::unordered_map<TimerId, std::shared_ptr<Timer>> timers_;
    std::optional<Error> syserr_;
    std::uint64_t next_id_ = 1;  // shared by watches and timers, never reused
    bool stop_requested_ = false;
};

EvLoop::~EvLoop() {
    for (auto& [id, watch] : watches_) ev_io_stop(loop_.get(), &watch->io);
    for (auto& [id, timer] : timers_) ev_timer_stop(loop_.get(), &timer->timer);
}

Result<WatchId> EvLoop::add_readable(int fd, Callback cb) {
    return add_watch(fd, EV_READ, std::move(cb));
}

Result<WatchId> EvLoop::add_writable(int fd, Callback cb) {
    return add_watch(fd, EV_WRITE, std::move(cb));
}

// libev keeps one epoll registration per fd and merges the events of every ev_io on
// it, so a readable and a writable watch on one fd coexist.
Result<WatchId> EvLoop::add_watch(int fd, int events, Callback cb) {
    const WatchId id{next_id_++};
    auto watch = std::make_shared<Watch>(Watch{{}, this, id, std::move(cb)});
    ev_io_init(&watch->io, &EvLoop::on_io, fd, events);
    watch->io.data = watch.get();
    ev_io_start(loop_.get(), &watch->io);
    watches_.emplace(id, std::move(watch));
    return id;
}

// ev_io_stop also clears an event already pending for this watcher, so it never fires.
void EvLoop::remove_watch(WatchId id) {
    const auto it = watches_.find(id);
    if (it == watches_.end()) return;
    ev_io_stop(loop_.get(), &it->second->io);
    watches_.erase(it);
}

Result<TimerId> EvLoop::add_timer_id(Duration after, bool repeat, Callback cb) {
    const double seconds = std::chrono::duration<double>(std::max(after, Duration::zero())).count();
    const TimerId id{next_id_++};
    auto timer = std::make_shared<Timer>(Timer{{}, this, id, repeat, std::move(cb)});
    ev_timer_init(&timer->timer, &EvLoop::on_timer, seconds, repeat ? seconds : 0.0);
    timer->timer.data = timer.get();
    // libev measures from the time cached at the start of this turn; refresh it (a
    // vDSO clock read) so a timer added late in a long batch does not fire early.
    ev_now_update(loop_.get());
    ev_timer_start(loop_.get(), &timer->timer);
    timers_.emplace(id, std::move(timer));
    return id;
}

void EvLoop::remove_timer(TimerId id) {
    const auto it = timers_.find(id);
    if (it == timers_.end()) return;
    ev_timer_stop(loop_.get(), &it->second->timer);
    timers_.erase(it);
}

Result<void> EvLoop::run() {
    syserr_.reset();
    running_loop_syserr = &syserr_;
    Result<void> result = run_until_stopped();
    running_loop_syserr = nullptr;
    stop_requested_ = false;
    return result;
}

Result<void> EvLoop::run_until_stopped() {
    while (!stop_requested_) {
        // One turn: wait once, then run every pending callback.
        const int active = ev_run(loop_.get(), EVRUN_ONCE);
        if (syserr_) return std::unexpected(std::move(*syserr_));
        if (active == 0 && !stop_requested_) {
            return error(0, "event loop (epoll): run() with nothing to wait for");
        }
    }
    return {};
}

void EvLoop::on_io(struct ev_loop* /*loop*/, ev_io* io, int revents) noexcept {
    auto* record = static_cast<Watch*>(io->data);
    EvLoop& self = *record->owner;
    const auto it = self.watches_.find(record->id);
    if (it == self.watches_.end()) return;
    const std::shared_ptr<Watch> watch = it->second;  // the callback may unwatch itself
    if ((revents & EV_ERROR) != 0) {
        // libev has stopped the watcher (epoll refused the fd); the owner gets this
        // one call, and its read will see the error.
        spdlog::warn("event loop (epoll): watch on fd {} failed", watch->io.fd);
    }
    run_callback(watch->cb);
}

void EvLoop::on_timer(struct ev_loop* /*loop*/, ev_timer* timer, int /*revents*/) noexcept {
    auto* record = static_cast<Timer*>(timer->data);
    EvLoop& self = *record->owner;
    const auto it = self.timers_.find(record->id);
    if (it == self.timers_.end()) return;
    const std::shared_ptr<Timer> kept = it->second;  // the callback may cancel itself
    if (!kept->repeat) self.timers_.erase(it);       // libev has already stopped it
    run_callback(kept->cb);
}

}  // namespace

Result<std::unique_ptr<EventLoop>> make_epoll_loop() {
    // ev_set_syserr_cb is process-wide; install it once, before the first loop exists.
    static const bool syserr_cb_installed = (ev_set_syserr_cb(&on_syserr), true);
    (void)syserr_cb_installed;

    errno = 0;
    constexpr unsigned flags = static_cast<unsigned>(EVBACKEND_EPOLL) |
                               static_cast<unsigned>(EVFLAG_NOENV) |
                               static_cast<unsigned>(EVFLAG_NOSIGMASK);
    struct ev_loop* loop = ev_loop_new(flags);
    if (loop == nullptr) return error(errno != 0 ? errno : ENOSYS, "ev_loop_new (epoll)");
    return std::unique_ptr<EventLoop>(std::make_unique<EvLoop>(loop));
}

}  // namespace svinit::core
