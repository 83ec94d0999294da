#pragma once
// The one event loop interface. Two backends implement it: io_uring (liburing) and
// epoll (libev). Everything svinit waits for is an fd becoming readable (or, for
// buffered output, writable) or a timer.
//
// Rules every backend keeps:
//  - callbacks run on the loop's thread, one at a time, from run();
//  - a callback may add or remove any watch or timer, its own included; a removed
//    watch or cancelled timer never fires afterwards, even if its event is already queued;
//  - every watch and timer is owned by a move-only handle that removes it on destruction;
//  - readiness is level-style: a watch fires again while the fd stays readable, so a
//    callback may read just part of what is there (but should read until EAGAIN);
//  - no timer exists unless one was asked for: an idle loop makes no system calls.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/registration.h"

namespace svinit::core {

using Callback = std::function<void()>;
using Duration = std::chrono::nanoseconds;
using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// Ids are never reused within one loop, so a stale id is harmless.
enum class WatchId : std::uint64_t {};
enum class TimerId : std::uint64_t {};

class EventLoop {
public:
    virtual ~EventLoop() = default;

    // What the handles call; harmless for an id that already fired or was removed.
    virtual void remove_watch(WatchId id) = 0;
    virtual void remove_timer(TimerId id) = 0;

    // Handles to what the loop calls back. Destroying one removes the watch or cancels
    // the timer, so an object that owns the handles of the callbacks capturing it can be
    // destroyed at any moment. Handles must not outlive the loop.
    using WatchHandle = Registration<EventLoop, WatchId, &EventLoop::remove_watch>;
    using TimerHandle = Registration<EventLoop, TimerId, &EventLoop::remove_timer>;

    // Calls cb whenever fd is readable (or has hung up / errored). The fd must stay
    // open while the handle lives; the loop does not own it.
    Result<WatchHandle> watch_readable(int fd, Callback cb);
    // Calls cb whenever fd is writable (or has hung up / errored), level-style like
    // watch_readable: watch only while there is something to write. An fd may have a
    // readable and a writable watch at once.
    Result<WatchHandle> watch_writable(int fd, Callback cb);
    // Calls cb once after `after`, or every `after` when repeat is true. A one-shot
    // timer's callback may reset (or release) its own handle.
    Result<TimerHandle> add_timer(Duration after, bool repeat, Callback cb);

    // The loop's clock: the steady clock for the real backends, a manual one in tests.
    // Everything that measures time for the loop's users (deadlines, how long a service
    // ran) reads it here, so a fake loop can drive timeouts without sleeping.
    virtual TimePoint now() const { return SteadyClock::now(); }

    // Runs callbacks until stop() is called. Returns an error only when the loop
    // itself cannot go on (the backend's wait call failed for good).
    virtual Result<void> run() = 0;
    virtual void stop() = 0;

    // "io_uring", "epoll", or "fake".
    virtual std::string_view backend_name() const = 0;

protected:
    // What a backend implements: register and return a fresh id.
    virtual Result<WatchId> add_readable(int fd, Callback cb) = 0;
    virtual Result<WatchId> add_writable(int fd, Callback cb) = 0;
    virtual Result<TimerId> add_timer_id(Duration after, bool repeat, Callback cb) = 0;
};

using WatchHandle = EventLoop::WatchHandle;
using TimerHandle = EventLoop::TimerHandle;

enum class LoopKind { Auto, IoUring, Epoll };

// Parses "auto", "io_uring" or "epoll".
Result<LoopKind> parse_loop_kind(std::string_view text);

struct LoopChoice {
    std::unique_ptr<EventLoop> loop;
    // Why this backend runs, for one log line: "io_uring", or
    // "epoll (io_uring refused: io_uring_setup: Operation not permitted)".
    std::string reason;
};

// Creates the backend asked for. Auto tries io_uring first and falls back to epoll
// when the kernel or a seccomp profile refuses io_uring_setup.
Result<LoopChoice> make_event_loop(LoopKind kind);

// Each backend on its own, for tests and for make_event_loop.
Result<std::unique_ptr<EventLoop>> make_uring_loop();
Result<std::unique_ptr<EventLoop>> make_epoll_loop();

}  // namespace svinit::core
