// Shared fixtures for the unit tests that drive core::EventLoop: picking a backend
// (io_uring or epoll), non-blocking pipes, and running the loop under a guard timer so
// that a broken backend is a failure instead of a hang.

#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/event_loop.h"
#include "core/unique_fd.h"

namespace svinit::test {

inline bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

// The backend under test, or nullptr when io_uring is refused outside CI (a skip).
inline std::unique_ptr<core::EventLoop> make_backend(std::string_view name) {
    auto loop = name == "io_uring" ? core::make_uring_loop() : core::make_epoll_loop();
    if (loop) return std::move(*loop);
    if (name == "io_uring" && !in_ci()) {
        WARN("skipping io_uring: " << loop.error().message());
        return nullptr;
    }
    FAIL(name << ": " << loop.error().message());
    return nullptr;
}

struct Pipe {
    core::UniqueFd read_end;
    core::UniqueFd write_end;
};

inline Pipe make_pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
    return {core::UniqueFd(fds[0]), core::UniqueFd(fds[1])};
}

// Runs the loop until a callback stops it; fails (rather than hangs) after `limit`.
inline void run_guarded(core::EventLoop& loop,
                        std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    bool timed_out = false;
    auto guard = loop.add_timer(limit, false, [&] {
        timed_out = true;
        loop.stop();
    });
    REQUIRE(guard);
    const auto result = loop.run();
    INFO((result ? std::string() : result.error().message()));
    REQUIRE(result);
    REQUIRE_FALSE(timed_out);
    guard->reset();
}

}  // namespace svinit::test

// Runs the enclosing test case once per backend (a GENERATE section); declares
// `backend` (its name) and `loop` (the EventLoop), and returns early on a skip.
#define BACKEND_UNDER_TEST()                                                      \
    const std::string backend = GENERATE(as<std::string>{}, "io_uring", "epoll"); \
    CAPTURE(backend);                                                             \
    auto loop = ::svinit::test::make_backend(backend);                            \
    if (!loop) return
