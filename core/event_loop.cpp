#include "core/event_loop.h"

#include <fcntl.h>

#include <string>

namespace svinit::core {
namespace {

// Checked for every backend, so a bad fd is an error value now rather than an error
// event later.
Result<void> check_watch_args(int fd, const Callback& cb, const char* what) {
    if (!cb) return error(EINVAL, std::string(what) + ": empty callback");
    if (::fcntl(fd, F_GETFD) < 0)
        return sys_error(std::string(what) + ": fd " + std::to_string(fd));
    return {};
}

}  // namespace

Result<WatchHandle> EventLoop::watch_readable(int fd, Callback cb) {
    if (auto ok = check_watch_args(fd, cb, "watch_readable"); !ok)
        return std::unexpected(ok.error());
    auto id = add_readable(fd, std::move(cb));
    if (!id) return std::unexpected(id.error());
    return WatchHandle(*this, *id);
}

Result<WatchHandle> EventLoop::watch_writable(int fd, Callback cb) {
    if (auto ok = check_watch_args(fd, cb, "watch_writable"); !ok)
        return std::unexpected(ok.error());
    auto id = add_writable(fd, std::move(cb));
    if (!id) return std::unexpected(id.error());
    return WatchHandle(*this, *id);
}

Result<TimerHandle> EventLoop::add_timer(Duration after, bool repeat, Callback cb) {
    if (!cb) return error(EINVAL, "add_timer: empty callback");
    if (repeat && after <= Duration::zero()) return error(EINVAL, "add_timer: repeating every 0s");
    auto id = add_timer_id(after, repeat, std::move(cb));
    if (!id) return std::unexpected(id.error());
    return TimerHandle(*this, *id);
}

}  // namespace svinit::core
