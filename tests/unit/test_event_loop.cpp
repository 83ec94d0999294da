// The event loop contract of core/event_loop.h, run against both backends. Tests are
// driven by pipes and timers only; a guard timer turns a broken backend into a failure
// instead of a hang. Callbacks use CHECK, not REQUIRE: the loop catches exceptions.

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_loop.h"
#include "core/unique_fd.h"
#include "loop_fixtures.h"

using namespace svinit::core;
using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

void put(const Pipe& pipe, std::string_view bytes) {
    CHECK(::write(pipe.write_end.get(), bytes.data(), bytes.size()) ==
          static_cast<ssize_t>(bytes.size()));
}

// One byte, or nothing at EOF / EAGAIN.
std::optional<char> take_one(const Pipe& pipe) {
    char c = 0;
    if (::read(pipe.read_end.get(), &c, 1) != 1) return std::nullopt;
    return c;
}

std::string take_all(const Pipe& pipe) {
    std::string out;
    while (auto c = take_one(pipe)) out += *c;
    return out;
}

// A watch that fires on every turn of the loop (its pipe is never drained) and stops
// the loop after `turns`: lets a test check that nothing else fires, without sleeping.
struct Ticker {
    Pipe pipe = make_pipe();
    int turns = 0;
    WatchHandle watch;

    void start(EventLoop& loop, int limit) {
        put(pipe, "t");
        auto w = loop.watch_readable(pipe.read_end.get(), [this, &loop, limit] {
            if (++turns == limit) loop.stop();
        });
        REQUIRE(w);
        watch = std::move(*w);
    }
};

}  // namespace

TEST_CASE("a watched pipe fires once it is written", "[loop]") {
    BACKEND_UNDER_TEST();
    REQUIRE(loop->backend_name() == backend);
    const Pipe pipe = make_pipe();
    std::string got;
    auto watch = loop->watch_readable(pipe.read_end.get(), [&] {
        got += take_all(pipe);
        loop->stop();
    });
    REQUIRE(watch);
    auto writer = loop->add_timer(0ms, false, [&] { put(pipe, "hi"); });
    REQUIRE(writer);
    run_guarded(*loop);
    CHECK(got == "hi");
}

TEST_CASE("a watch fires again while data is left (level-style)", "[loop]") {
    BACKEND_UNDER_TEST();
    const Pipe pipe = make_pipe();
    put(pipe, "abc");
    std::string got;
    auto watch = loop->watch_readable(pipe.read_end.get(), [&] {
        if (auto c = take_one(pipe)) got += *c;
        if (got.size() == 3) loop->stop();
    });
    REQUIRE(watch);
    run_guarded(*loop);
    CHECK(got == "abc");
}

TEST_CASE("a watch fires on hang-up", "[loop]") {
    BACKEND_UNDER_TEST();
    Pipe pipe = make_pipe();
    bool eof = false;
    auto watch = loop->watch_readable(pipe.read_end.get(), [&] {
        char c = 0;
        eof = ::read(pipe.read_end.get(), &c, 1) == 0;
        loop->stop();
    });
    REQUIRE(watch);
    auto closer = loop->add_timer(0ms, false, [&] { pipe.write_end.reset(); });
    REQUIRE(closer);
    run_guarded(*loop);
    CHECK(eof);
}

TEST_CASE("a watch can unwatch itself from its callback", "[loop]") {
    BACKEND_UNDER_TEST();
    const Pipe pipe = make_pipe();
    put(pipe, "x");  // never read: the fd stays readable
    auto payload = std::make_shared<std::string>("still alive");
    int fired = 0;
    WatchHandle self;
    auto id = loop->watch_readable(pipe.read_end.get(), [&, payload] {
        ++fired;
        self.reset();
        CHECK(*payload == "still alive");  // the callback's captures outlive the removal
    });
    REQUIRE(id);
    self = std::move(*id);
    payload.reset();
    Ticker ticker;
    ticker.start(*loop, 5);
    run_guarded(*loop);
    CHECK(fired == 1);
}

TEST_CASE("unwatching a watch whose event is already queued stops it", "[loop]") {
    BACKEND_UNDER_TEST();
    const std::array<Pipe, 2> pipes{make_pipe(), make_pipe()};
    put(pipes[0], "x");  // both ready before run(): their events come in one batch
    put(pipes[1], "x");
    std::array<WatchHandle, 2> handles;
    int fired = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        auto id = loop->watch_readable(pipes[i].read_end.get(), [&, i] {
            ++fired;
            handles[i].reset();
            handles[1 - i].reset();
        });
        REQUIRE(id);
        handles[i] = std::move(*id);
    }
    Ticker ticker;
    ticker.start(*loop, 5);
    run_guarded(*loop);
    CHECK(fired == 1);
}

TEST_CASE("a watch handle reset outside run() stops the watch", "[loop]") {
    BACKEND_UNDER_TEST();
    const Pipe pipe = make_pipe();
    put(pipe, "x");
    int fired = 0;
    auto id = loop->watch_readable(pipe.read_end.get(), [&] { ++fired; });
    REQUIRE(id);
    const WatchId raw = id->id();
    id->reset();
    id->reset();              // an empty handle is harmless
    loop->remove_watch(raw);  // so is a stale id
    Ticker ticker;
    ticker.start(*loop, 5);
    run_guarded(*loop);
    CHECK(fired == 0);
}

TEST_CASE("a one-shot timer fires once", "[loop]") {
    BACKEND_UNDER_TEST();
    int fired = 0;
    auto id = loop->add_timer(1ms, false, [&] { ++fired; });
    REQUIRE(id);
    auto stopper = loop->add_timer(30ms, false, [&] { loop->stop(); });
    REQUIRE(stopper);
    run_guarded(*loop);
    CHECK(fired == 1);
    id->reset();  // cancelling a timer that has fired is harmless
}

TEST_CASE("a repeating timer fires until cancelled", "[loop]") {
    BACKEND_UNDER_TEST();
    int fired = 0;
    TimerHandle self;
    TimerHandle stopper;
    auto id = loop->add_timer(1ms, true, [&] {
        if (++fired < 5) return;
        self.reset();
        auto stop = loop->add_timer(20ms, false, [&] { loop->stop(); });
        CHECK(stop);
        if (stop) stopper = std::move(*stop);
    });
    REQUIRE(id);
    self = std::move(*id);
    run_guarded(*loop);
    CHECK(fired == 5);
}

TEST_CASE("a cancelled timer never fires", "[loop]") {
    BACKEND_UNDER_TEST();
    int fired = 0;
    auto id = loop->add_timer(1ms, false, [&] { ++fired; });
    REQUIRE(id);
    id->reset();
    auto stopper = loop->add_timer(20ms, false, [&] { loop->stop(); });
    REQUIRE(stopper);
    run_guarded(*loop);
    CHECK(fired == 0);
}

TEST_CASE("cancelling a timer whose expiry is already queued stops it", "[loop]") {
    BACKEND_UNDER_TEST();
    std::array<TimerHandle, 2> handles;
    int fired = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        auto id = loop->add_timer(0ms, false, [&, i] {
            ++fired;
            handles[1 - i].reset();
        });
        REQUIRE(id);
        handles[i] = std::move(*id);
    }
    auto stopper = loop->add_timer(20ms, false, [&] { loop->stop(); });
    REQUIRE(stopper);
    run_guarded(*loop);
    CHECK(fired == 1);
}

TEST_CASE("a watch and a timer in one batch can remove each other", "[loop]") {
    BACKEND_UNDER_TEST();
    const Pipe pipe = make_pipe();
    put(pipe, "x");
    WatchHandle watch;
    TimerHandle timer;
    int fired = 0;
    auto w = loop->watch_readable(pipe.read_end.get(), [&] {
        ++fired;
        watch.reset();
        timer.reset();
    });
    auto t = loop->add_timer(0ms, false, [&] {
        ++fired;
        watch.reset();
    });
    REQUIRE(w);
    REQUIRE(t);
    watch = std::move(*w);
    timer = std::move(*t);
    auto stopper = loop->add_timer(20ms, false, [&] { loop->stop(); });
    REQUIRE(stopper);
    run_guarded(*loop);
    CHECK(fired == 1);
}

TEST_CASE("1,000 watched pipes are all delivered", "[loop]") {
    BACKEND_UNDER_TEST();
    constexpr std::size_t kPipes = 1000;
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_cur < 2 * kPipes + 64) {
        limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 2 * kPipes + 64);
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
    }
    std::vector<Pipe> pipes;
    for (std::size_t i = 0; i < kPipes; ++i) pipes.push_back(make_pipe());
    std::vector<int> hits(kPipes, 0);
    std::size_t delivered = 0;
    std::vector<WatchHandle> watches;
    for (std::size_t i = 0; i < kPipes; ++i) {
        auto watch = loop->watch_readable(pipes[i].read_end.get(), [&, i] {
            hits[i] += static_cast<int>(take_all(pipes[i]).size());
            if (++delivered == kPipes) loop->stop();
        });
        REQUIRE(watch);
        watches.push_back(std::move(*watch));
    }
    // Written from a callback, once every watch is armed: 1,000 wake-ups at once
    // (more than the io_uring completion queue holds).
    auto writer = loop->add_timer(0ms, false, [&] {
        for (const Pipe& pipe : pipes) put(pipe, "x");
    });
    REQUIRE(writer);
    run_guarded(*loop);
    CHECK(delivered == kPipes);
    CHECK(std::count(hits.begin(), hits.end(), 1) == static_cast<std::ptrdiff_t>(kPipes));
}

TEST_CASE("stop() returns from run(), and run() can be called again", "[loop]") {
    BACKEND_UNDER_TEST();
    int runs = 0;
    for (int i = 0; i < 2; ++i) {
        auto stopper = loop->add_timer(0ms, false, [&] {
            ++runs;
            loop->stop();
        });
        REQUIRE(stopper);
        run_guarded(*loop);
    }
    CHECK(runs == 2);
}

TEST_CASE("run() with nothing to wait for is an error, not a hang", "[loop]") {
    BACKEND_UNDER_TEST();
    CHECK_FALSE(loop->run());
}

TEST_CASE("bad arguments are error values", "[loop]") {
    BACKEND_UNDER_TEST();
    const auto bad_fd = loop->watch_readable(-1, [] {});
    REQUIRE_FALSE(bad_fd);
    CHECK(bad_fd.error().code == EBADF);
    CHECK_FALSE(loop->watch_readable(0, Callback{}));
    CHECK_FALSE(loop->add_timer(0ms, true, [] {}));
    CHECK_FALSE(loop->add_timer(1ms, false, Callback{}));
}

TEST_CASE("parse_loop_kind", "[loop]") {
    CHECK(parse_loop_kind("auto") == LoopKind::Auto);
    CHECK(parse_loop_kind("io_uring") == LoopKind::IoUring);
    CHECK(parse_loop_kind("epoll") == LoopKind::Epoll);
    const auto bad = parse_loop_kind("kqueue");
    REQUIRE_FALSE(bad);
    const std::string message = bad.error().message();
    CHECK_THAT(message, Catch::Contains("\"kqueue\"") && Catch::Contains("auto") &&
                            Catch::Contains("io_uring") && Catch::Contains("epoll"));
    CHECK_FALSE(parse_loop_kind(""));
    CHECK_FALSE(parse_loop_kind("EPOLL"));
}

TEST_CASE("make_event_loop gives a loop and a reason", "[loop]") {
    const auto automatic = make_event_loop(LoopKind::Auto);
    REQUIRE(automatic);
    REQUIRE(automatic->loop);
    CHECK_FALSE(automatic->reason.empty());
    CHECK(automatic->reason.starts_with(automatic->loop->backend_name()));

    const auto epoll = make_event_loop(LoopKind::Epoll);
    REQUIRE(epoll);
    CHECK(epoll->loop->backend_name() == "epoll");
    CHECK(epoll->reason == "epoll");
}

namespace {

// In a child: refuse io_uring_setup with EPERM, as Docker's seccomp profile does, then
// check that Auto falls back to epoll and says why. Returns an exit code.
int check_fallback_under_seccomp() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    const sock_fprog program{.len = static_cast<unsigned short>(std::size(filter)),
                             .filter = filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return 77;
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) < 0) return 77;

    const auto forced = make_event_loop(LoopKind::IoUring);
    if (forced || forced.error().code != EPERM) return 1;
    const auto choice = make_event_loop(LoopKind::Auto);
    if (!choice || choice->loop->backend_name() != "epoll") return 2;
    if (choice->reason != "epoll (io_uring refused: io_uring_setup: Operation not permitted)") {
        return 3;
    }
    return 0;
}

}  // namespace

TEST_CASE("Auto falls back to epoll when seccomp refuses io_uring", "[loop]") {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) ::_exit(check_fallback_under_seccomp());
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77 && !in_ci()) {
        WARN("skipping: cannot install a seccomp filter here");
        return;
    }
    CHECK(WEXITSTATUS(status) == 0);
}
