// PID 1's chores: every orphan is reaped, and when the command exits the rest get SIGTERM,
// then SIGKILL once --kill-grace has passed, and not a moment before.

#include <catch2/catch.hpp>

#include "support/svinit.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

}  // namespace

TEST_CASE("ten thousand orphaned zombies are all reaped", "[reaping]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    // orphans leaves its zombies to PID 1; nozombies, inside the namespace, then waits (up to
    // 20 s) until only PID 1 and itself are left.
    Process svinit = harness.start({}, {"sh", "-c", "\"$0\" 10000 && exec \"$1\" 20000",
                                        helper("orphans"), helper("nozombies")});
    expect_line(svinit, "done", 60s);
    expect_line(svinit, "no zombies", 30s);
    const int status = svinit.wait(10s);
    CHECK(status == 0);
}

TEST_CASE("a process that ignores SIGTERM is killed when the grace period ends", "[sweep]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    const auto start = Clock::now();
    Process svinit = harness.start({"--kill-grace", "1"}, {helper("ignoreterm")});
    expect_line(svinit, "ready");
    const int status = svinit.wait(3s);  // hang guard: grace + 2 s
    CHECK(status == 0);
    const long long elapsed_ms = ms_since(start);
    CHECK(elapsed_ms >= 1000);
    CHECK(elapsed_ms < 3000);
}

TEST_CASE("the kill grace may be a fraction of a second", "[sweep]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    const auto start = Clock::now();
    Process svinit = harness.start({"--kill-grace", "0.5"}, {helper("ignoreterm")});
    expect_line(svinit, "ready");
    const int status = svinit.wait(3s);
    CHECK(status == 0);
    const long long elapsed_ms = ms_since(start);
    CHECK(elapsed_ms >= 500);
    CHECK(elapsed_ms < 2500);
}

TEST_CASE("the sweep ends as soon as the last process is gone", "[sweep]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    // The command exits at once and leaves a recorder behind, which exits on SIGTERM: svinit
    // must not sit out the 30 s grace.
    Process svinit =
        harness.start({"--kill-grace", "30"}, {helper("sigrecord"), "main", "leftover", "exit"});
    expect_line(svinit, "main ready");
    expect_line(svinit, "leftover 15");  // the sweep's SIGTERM
    const int status = svinit.wait(10s);
    CHECK(status == 0);
}
