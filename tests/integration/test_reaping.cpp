// PID 1's chores: every orphan is reaped, and when the command exits the rest get SIGTERM,
// then SIGKILL once --kill-grace has passed, and not a moment before.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/procfs.h"
#include "support/services.h"
#include "support/svinit.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// A FIFO a script waits on (`read _ < FIFO`) until the test opens it. The test keeps it
// open for reading and writing, so neither side ever blocks in open().
class Gate {
public:
    explicit Gate(std::string path) : path_(std::move(path)) {
        REQUIRE(::mkfifo(path_.c_str(), 0600) == 0);
        fd_.reset(::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
        REQUIRE(fd_.valid());
    }
    const std::string& path() const { return path_; }
    void open_gate() { REQUIRE(::write(fd_.get(), "go\n", 3) == 3); }

private:
    std::string path_;
    UniqueFd fd_;
};

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

TEST_CASE("the sweep waits for processes that entered the namespace from outside", "[sweep]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    EventFifo events(harness.dir() + "/events");
    Gate go(harness.dir() + "/go");
    Gate release(harness.dir() + "/release");

    Process svinit = harness.start({"--kill-grace", "30"},
                                   {"sh", "-c", "echo ready; read _ < '" + go.path() + "'"});
    expect_line(svinit, "ready");
    const std::optional<pid_t> host_pid = svinit_host_pid(svinit);
    REQUIRE(host_pid.has_value());

    // A guest entered from the host side, as docker exec does: its parent, nsenter, is
    // outside the namespace, so it is never svinit's child. On TERM it takes its time. Its
    // sleep starts before the trap is set (it keeps TERM's default) and before "entered",
    // so the sweep's TERM reaches it too.
    const std::string report = " > \"" + events.path() + "\"";
    const std::string guest = "sleep 100000 & trap 'echo got-term" + report + "; read _ < \"" +
                              release.path() + "\"; echo leaving" + report +
                              "; exit 0' TERM; echo entered" + report + "; wait";
    Process nsenter =
        Process::spawn({"nsenter", "-t", std::to_string(*host_pid), "-p", "--", "sh", "-c", guest});
    REQUIRE(events.read_line(10s).value_or("<none>") == "entered");

    go.open_gate();  // the main command exits 0: the final sweep begins
    REQUIRE(events.read_line(10s).value_or("<none>") == "got-term");
    // svinit waits: the guest is still there.
    const std::optional<char> state = process_state(*host_pid);
    CHECK((state.has_value() && *state != 'Z'));

    release.open_gate();
    CHECK(events.read_line(10s).value_or("<none>") == "leaving");
    CHECK(nsenter.wait(10s) == 0);  // it left by itself: no SIGKILL from PID 1's exit
    CHECK(svinit.wait(10s) == 0);
}
