// Choosing the event loop backend: parsing the --event-loop value and falling back from
// io_uring to epoll where the kernel or a seccomp profile refuses io_uring.

#include <fcntl.h>

#include <string>
#include <utility>

#include "core/event_loop.h"

namespace svinit::core {

Result<LoopKind> parse_loop_kind(std::string_view text) {
    if (text == "auto") return LoopKind::Auto;
    if (text == "io_uring") return LoopKind::IoUring;
    if (text == "epoll") return LoopKind::Epoll;
    return error(0,
                 "unknown event loop \"" + std::string(text) + "\" (valid: auto, io_uring, epoll)");
}

namespace {

Result<LoopChoice> choose(Result<std::unique_ptr<EventLoop>> loop, std::string reason) {
    if (!loop) return std::unexpected(std::move(loop.error()));
    return LoopChoice{std::move(*loop), std::move(reason)};
}

// Docker, containerd and Podman seccomp profiles refuse io_uring_setup, gVisor lacks
// it, and old kernels fail the probe: none of that should stop PID 1 from starting.
Result<LoopChoice> choose_auto() {
    auto uring = make_uring_loop();
    if (uring) return LoopChoice{std::move(*uring), "io_uring"};
    const std::string refused = uring.error().message();
    auto epoll = make_epoll_loop();
    if (!epoll) {
        Error e = std::move(epoll.error());
        e.context += " (after io_uring was refused: " + refused + ")";
        return std::unexpected(std::move(e));
    }
    return LoopChoice{std::move(*epoll), "epoll (io_uring refused: " + refused + ")"};
}

}  // namespace

Result<LoopChoice> make_event_loop(LoopKind kind) {
    switch (kind) {
        case LoopKind::IoUring:
            return choose(make_uring_loop(), "io_uring");
        case LoopKind::Epoll:
            return choose(make_epoll_loop(), "epoll");
        case LoopKind::Auto:
            return choose_auto();
    }
    return error(EINVAL, "make_event_loop: unknown loop kind");
}

}  // namespace svinit::core
