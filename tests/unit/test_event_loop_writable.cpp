// watch_writable of core/event_loop.h, run against both backends: it fires while the fd
// has room, stays quiet while it is full, coexists with a readable watch on the same fd,
// and reports a hung-up peer. A guard timer turns a broken backend into a failure.

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/event_loop.h"
#include "core/unique_fd.h"
#include "loop_fixtures.h"

using namespace svinit::core;
using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// Writes until the pipe is full (EAGAIN).
void fill(int fd) {
    const std::string chunk(4096, 'x');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
}

void drain(int fd) {
    char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
}

}  // namespace

TEST_CASE("a writable watch fires again while there is room (level-style)", "[loop]") {
    BACKEND_UNDER_TEST();
    const Pipe pipe = make_pipe();
    int fired = 0;
    auto watch = loop->watch_writable(pipe.write_end.get(), [&] {
        if (++fired == 3) loop->stop();
    });
    REQUIRE(watch);
    run_guarded(*loop);
    CHECK(fired == 3);
}

TEST_CASE("a writable watch stays quiet while the fd is full", "[loop]") {
    BACKEND_UNDER_TEST();
    const Pipe pipe = make_pipe();
    fill(pipe.write_end.get());
    bool drained = false;
    bool fired_while_full = false;
    auto watch = loop->watch_writable(pipe.write_end.get(), [&] {
        if (!drained) fired_while_full = true;
        loop->stop();
    });
    REQUIRE(watch);
    // A few turns of a 1 ms timer first, then make room.
    int turns = 0;
    TimerHandle ticker;
    auto t = loop->add_timer(1ms, true, [&] {
        if (++turns < 5) return;
        ticker.reset();
        drain(pipe.read_end.get());
        drained = true;
    });
    REQUIRE(t);
    ticker = std::move(*t);
    run_guarded(*loop);
    CHECK(drained);
    CHECK_FALSE(fired_while_full);
}

TEST_CASE("a removed writable watch never fires", "[loop]") {
    BACKEND_UNDER_TEST();
    const Pipe pipe = make_pipe();
    bool fired = false;
    auto id = loop->watch_writable(pipe.write_end.get(), [&] { fired = true; });
    REQUIRE(id);
    id->reset();
    auto stopper = loop->add_timer(10ms, false, [&] { loop->stop(); });
    REQUIRE(stopper);
    run_guarded(*loop);
    CHECK_FALSE(fired);
}

TEST_CASE("readable and writable watches share one socket", "[loop]") {
    BACKEND_UNDER_TEST();
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    const UniqueFd ours(sv[0]);
    const UniqueFd theirs(sv[1]);
    bool readable = false;
    bool writable = false;
    WatchHandle write_watch;
    auto read_watch = loop->watch_readable(ours.get(), [&] {
        char c = 0;
        CHECK(::read(ours.get(), &c, 1) == 1);
        readable = true;
        if (writable) loop->stop();
    });
    REQUIRE(read_watch);
    auto w = loop->watch_writable(ours.get(), [&] {
        writable = true;
        write_watch.reset();  // it would fire on every turn
        CHECK(::write(theirs.get(), "r", 1) == 1);
    });
    REQUIRE(w);
    write_watch = std::move(*w);
    run_guarded(*loop);
    CHECK(readable);
    CHECK(writable);
}

TEST_CASE("a writable watch fires when the reader hangs up", "[loop]") {
    BACKEND_UNDER_TEST();
    Pipe pipe = make_pipe();
    fill(pipe.write_end.get());
    bool fired = false;
    auto watch = loop->watch_writable(pipe.write_end.get(), [&] {
        fired = true;
        loop->stop();
    });
    REQUIRE(watch);
    auto closer = loop->add_timer(1ms, false, [&] { pipe.read_end.reset(); });
    REQUIRE(closer);
    run_guarded(*loop);
    CHECK(fired);
}
