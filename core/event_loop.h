#pragma once
// The one event loop interface. Two backends implement it: io_uring (liburing) and
// epoll (libev). Everything svinit waits for is an fd becoming readable (or, for
// buffered output, writable) or a timer.
//
// Rules every backend keeps:
//  - callbacks run on the loop's thread, one at a time, from run();
//  - a callback may add or remove any watch or timer, its own included; a removed
//    watch or cancelled timer never fires afterwards, even if its event is already queued;
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

namespace svinit::core {

using Callback = std::function<void()>;
using Duration = std::chrono::nanoseconds;

// Ids are never reused within one loop, so a stale id is harmless.
enum class WatchId : std::uint64_t {};
enum class TimerId : std::uint64_t {};

class EventLoop {
public:
    virtual ~EventLoop() = default;

    // Calls cb whenever fd is readable (or has hung up / errored). The fd must stay
    // open until unwatch(); the loop does not own it.
    virtual Result<WatchId> watch_readable(int fd, Callback cb) = 0;
    // Calls cb whenever fd is writable (or has hung up / errored), level-style like
    // watch_readable: watch only while there is something to write. An fd may have a
    // readable and a writable watch at once. Both backends implement it; the default
    // is for test doubles that never need it.
    virtual Result<WatchId> watch_writable(int /*fd*/, Callback /*cb*/) {
        return error(ENOTSUP, "watch_writable: not supported by this event loop");
    }
    // Removes a readable or writable watch.
    virtual void unwatch(WatchId id) = 0;

    // Calls cb once after `after`, or every `after` when repeat is true.
    virtual Result<TimerId> add_timer(Duration after, bool repeat, Callback cb) = 0;
    virtual void cancel_timer(TimerId id) = 0;

    // Runs callbacks until stop() is called. Returns an error only when the loop
    // itself cannot go on (the backend's wait call failed for good).
    virtual Result<void> run() = 0;
    virtual void stop() = 0;

    // "io_uring" or "epoll".
    virtual std::string_view backend_name() const = 0;
};

// Checks what every backend's watch_* gets, so a bad fd is an error value now rather
// than an error event later. `what` names the call in the message.
Result<void> check_watch_args(int fd, const Callback& cb, const char* what);

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
