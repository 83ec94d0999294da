// The Supervisor and its services on the fake loop and fake children: no process, no
// sleep. Time moves only when a test advances the clock, so timeouts and backoff are
// exact, and removing objects while their timers and children are live is easy to drive.

#include <signal.h>

#include <catch2/catch.hpp>

#include "fakes/fake_children.h"
#include "fakes/fake_loop.h"
#include "services/supervisor.h"

using namespace svinit;
using namespace std::chrono_literals;
using services::ServiceSpec;
using services::State;
using svinit::test::FakeChildren;
using svinit::test::FakeLoop;

namespace {

ServiceSpec spec(const std::string& name, bool with_logger = false) {
    ServiceSpec s;
    s.name = name;
    s.main.dir = "/srv/" + name;
    s.main.run = s.main.dir / "run";
    if (with_logger) {
        services::ProcessSpec log;
        log.dir = s.main.dir / "log";
        log.run = log.dir / "run";
        s.log = log;
    }
    return s;
}

struct World {
    FakeLoop loop;
    FakeChildren children{loop};
    services::Policy policy = [] {
        services::Policy p;
        p.stop_timeout = 2s;
        return p;
    }();
    std::optional<services::Supervisor> supervisor{std::in_place, loop, children, policy};

    State state(const std::string& name) {
        auto status = supervisor->status(name);
        REQUIRE(status);
        return status->main.state;
    }
    pid_t pid(const std::string& name) {
        auto status = supervisor->status(name);
        REQUIRE(status);
        return status->main.pid;
    }
    pid_t log_pid(const std::string& name) {
        auto status = supervisor->status(name);
        REQUIRE(status);
        REQUIRE(status->log);
        return status->log->pid;
    }
};

}  // namespace

TEST_CASE("fake: a service starts, crashes quickly and backs off in virtual time",
          "[supervisor][fake]") {
    World w;
    w.supervisor->apply({spec("web")});
    w.loop.run_ready();
    REQUIRE(w.state("web") == State::Run);
    const pid_t first = w.pid("web");
    CHECK(w.children.find(first)->options.path == "./run");

    REQUIRE(w.children.exit(first, core::ExitStatus::exited(1)));
    w.loop.run_ready();
    CHECK(w.state("web") == State::Backoff);
    w.loop.advance(99ms);
    CHECK(w.state("web") == State::Backoff);
    w.loop.advance(1ms);
    CHECK(w.state("web") == State::Run);
    CHECK(w.pid("web") != first);
}

TEST_CASE("fake: quick failures back off 100, 200, 400, 800 ms; a healthy run resets it",
          "[supervisor][fake][backoff]") {
    World w;
    w.supervisor->apply({spec("crash"), spec("steady")});
    w.loop.run_ready();
    const pid_t steady = w.pid("steady");
    for (auto delay : {100ms, 200ms, 400ms, 800ms, 1600ms}) {
        REQUIRE(w.children.exit(w.pid("crash"), core::ExitStatus::exited(1)));
        w.loop.run_ready();
        REQUIRE(w.state("crash") == State::Backoff);
        w.loop.advance(delay - 1ms);
        CHECK(w.state("crash") == State::Backoff);
        w.loop.advance(1ms);
        CHECK(w.state("crash") == State::Run);
    }
    // A run that lasts the healthy time restarts at once, and the backoff starts over.
    w.loop.advance(1s);
    REQUIRE(w.children.exit(w.pid("crash"), core::ExitStatus::exited(1)));
    w.loop.run_ready();
    CHECK(w.state("crash") == State::Run);
    CHECK(w.pid("steady") == steady);
    CHECK(w.supervisor->status("steady")->main.restarts == 0);
    CHECK(w.supervisor->status("crash")->main.restarts == 6);
}

TEST_CASE("fake: a removed service whose logger exits first leaves no timer behind",
          "[supervisor][fake][lifetime]") {
    World w;
    w.children.exit_on_signals(true);
    w.supervisor->apply({spec("web", true)});
    w.loop.run_ready();
    const pid_t logger = w.log_pid("web");
    REQUIRE(logger != 0);

    w.supervisor->apply({});  // the directory is gone: run gets TERM, exits
    w.loop.run_ready();
    // The logger saw end-of-file and exits by itself, before its drain timer.
    REQUIRE(w.children.exit(logger, core::ExitStatus::exited(0)));
    w.loop.run_ready();
    CHECK(w.children.running().empty());
    // The retired service is collected; every timer it armed must be gone with it.
    CHECK(w.loop.timer_count() == 0);
    CHECK(w.loop.watch_count() == 0);
    w.supervisor->apply({spec("next")});
    w.loop.advance(5s);  // past the stop timeout: nothing of the old service may fire
    CHECK(w.state("next") == State::Run);
}

TEST_CASE("fake: destroying the supervisor with live timers and children is safe",
          "[supervisor][fake][lifetime]") {
    World w;
    w.supervisor->apply({spec("a", true), spec("b"), spec("c")});
    w.loop.run_ready();
    // a is stopping (stop timer armed), b is in backoff (backoff timer), c runs.
    REQUIRE(w.supervisor->command("a", services::Command::Down));
    REQUIRE(w.children.exit(w.pid("b"), core::ExitStatus::exited(3)));
    w.loop.run_ready();
    REQUIRE(w.state("a") == State::Stopping);
    REQUIRE(w.state("b") == State::Backoff);
    REQUIRE(w.loop.timer_count() > 0);
    const std::vector<pid_t> live = w.children.running();
    REQUIRE_FALSE(live.empty());

    w.supervisor.reset();
    CHECK(w.loop.timer_count() == 0);
    CHECK(w.loop.watch_count() == 0);
    // The children it left are orphans now: their exit calls nobody back.
    for (pid_t pid : live) {
        REQUIRE(w.children.find(pid) != nullptr);
        CHECK_FALSE(w.children.find(pid)->tracked);
        CHECK(w.children.exit(pid, core::ExitStatus::exited(0)));
    }
    w.loop.advance(1min);
}

TEST_CASE("fake: stop_all ends once every run, finish and logger is gone",
          "[supervisor][fake][shutdown]") {
    World w;
    w.children.exit_on_signals(true);
    w.supervisor->apply({spec("a", true), spec("b")});
    w.loop.run_ready();
    bool done = false;
    w.supervisor->stop_all([&] { done = true; });
    w.loop.run_ready();
    CHECK_FALSE(done);  // the logger drains: it exits at end-of-file, not on a signal
    const pid_t logger = w.children.newest("./run").value_or(0);
    REQUIRE(logger != 0);
    REQUIRE(w.children.exit(logger, core::ExitStatus::exited(0)));
    w.loop.run_ready();
    CHECK(done);
    CHECK(w.loop.timer_count() == 0);
}
