// The service state machine, driven by hand with a fake clock: no processes, no sleeps.

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "services/backoff.h"
#include "services/service_fsm.h"

using namespace std::chrono_literals;
using namespace svinit::services;

namespace {

std::string describe(const Action& action) {
    struct Describe {
        std::string operator()(const Spawn&) const { return "Spawn"; }
        std::string operator()(const SpawnFinish& a) const {
            return "SpawnFinish(" + std::to_string(a.exit_code_arg) + ", " +
                   std::to_string(a.signal_arg) + ")";
        }
        std::string operator()(const Signal& a) const {
            return "Signal(" + std::to_string(a.sig) + ")";
        }
        std::string operator()(const SignalFinish& a) const {
            return "SignalFinish(" + std::to_string(a.sig) + ")";
        }
        std::string operator()(const ArmTimer& a) const {
            const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                a.deadline.time_since_epoch());
            return "ArmTimer(" + std::string(to_string(a.purpose)) + " at " +
                   std::to_string(us.count()) + "us)";
        }
        std::string operator()(const CancelTimer&) const { return "CancelTimer"; }
        std::string operator()(const RunControl& a) const {
            return std::string("RunControl(") + a.script + ")";
        }
        std::string operator()(const KillControl&) const { return "KillControl"; }
        std::string operator()(const Notify& a) const {
            return "Notify(" + std::string(to_string(a.from)) + " -> " +
                   std::string(to_string(a.to)) + ")";
        }
    };
    return std::visit(Describe{}, action);
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<Action> {
    static std::string convert(const Action& action) { return describe(action); }
};
template <>
struct StringMaker<State> {
    static std::string convert(State state) { return std::string(to_string(state)); }
};
template <>
struct StringMaker<ExitStatus> {
    static std::string convert(const ExitStatus& status) { return status.describe(); }
};
}  // namespace Catch

namespace {

using Actions = std::vector<Action>;

// The fake clock starts at a non-zero point so that a forgotten `now` shows up.
constexpr TimePoint kT0 = TimePoint{} + 1000s;

// Owns one service's state and a fake clock; feeds events like the Supervisor would.
struct Harness {
    Policy policy;
    TimePoint now = kT0;
    ServiceState s;
    Actions actions;
    bool ignored = false;

    explicit Harness(Policy p = {}, bool normally_down = false) : policy(p) {
        Transition t = start(normally_down, now, policy);
        s = t.next;
        actions = t.actions;
    }

    const Actions& feed(const Event& event) {
        Transition t = step(s, event, now, policy);
        s = std::move(t.next);
        actions = std::move(t.actions);
        ignored = t.ignored;
        return actions;
    }

    void advance(Duration d) { now += d; }

    // Runs the fake clock to the armed timer's deadline and delivers it.
    const Actions& fire() {
        REQUIRE(s.timer);
        now = s.timer->deadline;
        return feed(TimerFired{s.timer->purpose});
    }

    const Actions& exit_after(Duration lived, int code) {
        advance(lived);
        return feed(ChildExited{ExitStatus::exited(code)});
    }
};

template <typename T>
std::size_t count(const Actions& actions) {
    std::size_t n = 0;
    for (const auto& a : actions) n += std::holds_alternative<T>(a) ? 1u : 0u;
    return n;
}

Policy with_finish() {
    Policy p;
    p.has_finish = true;
    return p;
}

}  // namespace

TEST_CASE("state names are runit-ish words", "[fsm]") {
    CHECK(to_string(State::Down) == "down");
    CHECK(to_string(State::Starting) == "starting");
    CHECK(to_string(State::Run) == "run");
    CHECK(to_string(State::Stopping) == "stopping");
    CHECK(to_string(State::Finish) == "finish");
    CHECK(to_string(State::Backoff) == "backoff");
    CHECK(to_string(State::Failed) == "failed");
    CHECK(to_string(Want::Once) == "once");
    CHECK(event_name(TimerFired{}) == "timer fired");
    CHECK(event_name(ChildExited{}) == "child exited");
}

TEST_CASE("backoff doubles from 100 ms and caps at 30 s", "[fsm]") {
    const BackoffPolicy p;
    CHECK(backoff_delay(0, p) == Duration::zero());
    CHECK(backoff_delay(1, p) == 100ms);
    CHECK(backoff_delay(2, p) == 200ms);
    CHECK(backoff_delay(3, p) == 400ms);
    CHECK(backoff_delay(9, p) == 25600ms);
    CHECK(backoff_delay(10, p) == 30s);
    CHECK(backoff_delay(std::numeric_limits<unsigned>::max(), p) == 30s);

    SECTION("configurable, and safe with extreme values") {
        CHECK(backoff_delay(3, BackoffPolicy{1s, 3s}) == 3s);
        CHECK(backoff_delay(2, BackoffPolicy{5s, 2s}) == 2s);  // initial above max
        const BackoffPolicy huge{1ns, Duration::max()};
        CHECK(backoff_delay(std::numeric_limits<unsigned>::max(), huge) > 0ns);
        CHECK(backoff_delay(5, BackoffPolicy{0ns, 30s}) == 0ns);
    }
}

TEST_CASE("a normal service starts by spawning run", "[fsm]") {
    Harness h;
    CHECK(h.actions == Actions{Spawn{}, Notify{State::Down, State::Run}});
    CHECK(h.s.state == State::Run);
    CHECK(h.s.want == Want::Up);
    CHECK_FALSE(h.s.normally_down);
    CHECK(h.s.since == kT0);
    CHECK(h.s.run_started == kT0);
    CHECK(h.s.restarts == 0);
}

TEST_CASE("a normally-down service starts down and waits for want up", "[fsm]") {
    Harness h({}, true);
    CHECK(h.actions.empty());
    CHECK(h.s.state == State::Down);
    CHECK(h.s.want == Want::Down);
    CHECK(h.s.normally_down);

    h.advance(3s);
    CHECK(h.feed(WantUp{}) == Actions{Spawn{}, Notify{State::Down, State::Run}});
    CHECK(h.s.want == Want::Up);
    CHECK(h.s.since == kT0 + 3s);
}

TEST_CASE("with readiness, spawn goes to starting and Ready to run", "[fsm]") {
    Policy p;
    p.wait_ready = true;
    Harness h(p);
    CHECK(h.actions == Actions{Spawn{}, Notify{State::Down, State::Starting}});
    h.advance(200ms);
    CHECK(h.feed(Ready{}) == Actions{Notify{State::Starting, State::Run}});
    CHECK(h.s.since == kT0 + 200ms);
    h.feed(Ready{});  // a second READY=1 changes nothing
    CHECK(h.ignored);

    SECTION("a crash before ready counts as a quick failure") {
        Harness q(p);
        q.exit_after(300ms, 1);
        CHECK(q.s.state == State::Backoff);
        CHECK(q.fire() == Actions{Spawn{}, Notify{State::Backoff, State::Starting}});
    }
    SECTION("want down before ready stops it") {
        Harness q(p);
        q.feed(WantDown{});
        CHECK(q.s.state == State::Stopping);
    }
}

TEST_CASE("quick crashes back off 100 ms, 200, 400 … capped at 30 s", "[fsm]") {
    Harness h;
    Duration expected = 100ms;
    for (unsigned i = 1; i <= 14; ++i) {
        INFO("crash " << i);
        h.exit_after(500ms, 1);
        const TimePoint crashed = h.now;
        CHECK(h.actions == Actions{ArmTimer{crashed + expected, TimerPurpose::Backoff},
                                   Notify{State::Run, State::Backoff}});
        CHECK(h.s.state == State::Backoff);
        CHECK(h.s.failures == i);
        CHECK(h.s.fail_reason == FailReason::ExitedQuickly);
        CHECK(h.s.last_exit == ExitStatus::exited(1));
        CHECK(h.s.last_run == 500ms);

        CHECK(h.fire() == Actions{Spawn{}, Notify{State::Backoff, State::Run}});
        CHECK(h.now == crashed + expected);
        CHECK(h.s.restarts == i);
        CHECK(h.s.fail_reason == FailReason::None);
        expected = std::min<Duration>(expected * 2, 30s);
    }
    CHECK(expected == 30s);
}

TEST_CASE("a healthy run restarts at once and resets the backoff", "[fsm]") {
    Harness h;
    for (int i = 0; i < 3; ++i) {
        h.exit_after(10ms, 1);
        h.fire();
    }
    REQUIRE(h.s.failures == 3);
    REQUIRE(h.s.restarts == 3);

    SECTION("exactly min_healthy_run is healthy") {
        h.exit_after(1s, 0);
        CHECK(h.actions == Actions{Spawn{}});  // run -> run: no state change, no Notify
        CHECK(h.s.state == State::Run);
        CHECK(h.s.failures == 0);
        CHECK(h.s.restarts == 4);
        CHECK(h.s.run_started == h.now);

        h.exit_after(10ms, 1);  // the next quick crash starts over at 100 ms
        CHECK(h.s.timer == ArmedTimer{TimerPurpose::Backoff, h.now + 100ms});
    }
    SECTION("just under it is a quick failure") {
        h.exit_after(999ms, 0);
        CHECK(h.s.state == State::Backoff);
        CHECK(h.s.failures == 4);
        CHECK(h.s.timer == ArmedTimer{TimerPurpose::Backoff, h.now + 800ms});
    }
}

TEST_CASE("finish gets runit's arguments", "[fsm]") {
    Harness h(with_finish());

    SECTION("a normal exit: (code, 0)") {
        h.exit_after(2s, 3);
        CHECK(h.actions == Actions{SpawnFinish{3, 0}, ArmTimer{h.now + 5s, TimerPurpose::Finish},
                                   Notify{State::Run, State::Finish}});
        CHECK(h.s.state == State::Finish);
    }
    SECTION("death by signal: (-1, sig)") {
        h.advance(2s);
        h.feed(ChildExited{ExitStatus::signaled(SIGSEGV, true)});
        CHECK(h.actions == Actions{SpawnFinish{-1, SIGSEGV},
                                   ArmTimer{h.now + 5s, TimerPurpose::Finish},
                                   Notify{State::Run, State::Finish}});
        CHECK(h.s.last_exit == ExitStatus::signaled(SIGSEGV, true));
        CHECK(h.s.state == State::Finish);
    }
}

TEST_CASE("after finish, a healthy run restarts at once", "[fsm]") {
    Harness h(with_finish());
    h.exit_after(2s, 3);
    h.advance(100ms);
    CHECK(h.feed(FinishExited{ExitStatus::exited(0)}) ==
          Actions{CancelTimer{}, Spawn{}, Notify{State::Finish, State::Run}});
    CHECK(h.s.restarts == 1);
    CHECK(h.s.last_finish == ExitStatus::exited(0));
    CHECK(h.s.last_exit == ExitStatus::exited(3));
}

TEST_CASE("after finish, a quick run backs off from the time finish ended", "[fsm]") {
    Harness h(with_finish());
    h.exit_after(200ms, 1);
    h.advance(3s);  // finish takes a while; the run was still quick
    CHECK(h.feed(FinishExited{ExitStatus::exited(0)}) ==
          Actions{CancelTimer{}, ArmTimer{h.now + 100ms, TimerPurpose::Backoff},
                  Notify{State::Finish, State::Backoff}});
}

TEST_CASE("a finish that outlives its timeout gets SIGKILL", "[fsm]") {
    Policy p = with_finish();
    p.finish_timeout = 2s;
    Harness h(p);
    h.exit_after(5s, 0);
    CHECK(h.fire() == Actions{SignalFinish{SIGKILL}});
    CHECK(h.now == kT0 + 7s);
    CHECK(h.s.state == State::Finish);
    CHECK_FALSE(h.s.timer);

    h.advance(1ms);
    // No timer is armed any more, so there is nothing to cancel.
    CHECK(h.feed(FinishExited{ExitStatus::signaled(SIGKILL)}) ==
          Actions{Spawn{}, Notify{State::Finish, State::Run}});
}

TEST_CASE("finish exiting 125 means failed until an explicit start", "[fsm]") {
    Harness h(with_finish());
    h.exit_after(3s, 1);
    h.advance(10ms);
    CHECK(h.feed(FinishExited{ExitStatus::exited(125)}) ==
          Actions{CancelTimer{}, Notify{State::Finish, State::Failed}});
    CHECK(h.s.state == State::Failed);
    CHECK(h.s.want == Want::Up);
    CHECK(h.s.fail_reason == FailReason::FinishSaidNoRestart);
    CHECK_FALSE(h.s.timer);

    h.advance(1h);  // nothing happens on its own
    h.feed(TimerFired{TimerPurpose::Backoff});
    CHECK(h.ignored);
    h.feed(Ready{});
    CHECK(h.ignored);

    SECTION("want up spawns") {
        CHECK(h.feed(WantUp{}) == Actions{Spawn{}, Notify{State::Failed, State::Run}});
        CHECK(h.s.fail_reason == FailReason::None);
        CHECK(h.s.failures == 0);
        CHECK(h.s.restarts == 0);  // an explicit start is not a restart
    }
    SECTION("want once spawns once") {
        h.feed(WantOnce{});
        CHECK(h.s.state == State::Run);
        CHECK(h.s.want == Want::Once);
    }
    SECTION("want down goes down") {
        CHECK(h.feed(WantDown{}) == Actions{Notify{State::Failed, State::Down}});
        CHECK(h.s.want == Want::Down);
        CHECK(h.s.fail_reason == FailReason::None);
    }
}

TEST_CASE("finish 125 while want is down just goes down", "[fsm]") {
    Harness h(with_finish());
    h.feed(WantDown{});
    h.exit_after(1s, 0);
    h.feed(FinishExited{ExitStatus::exited(125)});
    CHECK(h.s.state == State::Down);
}

TEST_CASE("want down in run sends TERM, CONT and arms the stop timer", "[fsm]") {
    Harness h;
    h.advance(5s);
    CHECK(h.feed(WantDown{}) == Actions{Signal{SIGTERM}, Signal{SIGCONT},
                                        ArmTimer{h.now + 10s, TimerPurpose::Stop},
                                        Notify{State::Run, State::Stopping}});
    CHECK(h.s.want == Want::Down);

    h.feed(WantDown{});  // again: nothing new
    CHECK(h.ignored);

    SECTION("the child exits in time: cancel the timer, go down, no restart") {
        h.advance(50ms);
        CHECK(h.feed(ChildExited{ExitStatus::signaled(SIGTERM)}) ==
              Actions{CancelTimer{}, Notify{State::Stopping, State::Down}});
        CHECK(h.s.exit_requested);
        CHECK(h.s.failures == 0);
        CHECK(h.s.restarts == 0);
    }
    SECTION("the stop timer fires: KILL, then down on exit") {
        CHECK(h.fire() == Actions{Signal{SIGKILL}});
        CHECK(h.now == kT0 + 15s);
        CHECK(h.s.state == State::Stopping);
        CHECK_FALSE(h.s.timer);
        h.feed(TimerFired{TimerPurpose::Stop});  // a duplicate is stale
        CHECK(h.ignored);
        CHECK(h.feed(ChildExited{ExitStatus::signaled(SIGKILL)}) ==
              Actions{Notify{State::Stopping, State::Down}});
    }
}

TEST_CASE("the stop timeout is configurable", "[fsm]") {
    Policy p;
    p.stop_timeout = 2s;
    Harness h(p);
    h.feed(WantDown{});
    CHECK(h.s.timer == ArmedTimer{TimerPurpose::Stop, kT0 + 2s});
}

TEST_CASE("a stopped service runs finish, then goes down", "[fsm]") {
    Harness h(with_finish());
    h.feed(WantDown{});
    h.advance(20ms);
    CHECK(h.feed(ChildExited{ExitStatus::signaled(SIGTERM)}) ==
          Actions{CancelTimer{}, SpawnFinish{-1, SIGTERM},
                  ArmTimer{h.now + 5s, TimerPurpose::Finish},
                  Notify{State::Stopping, State::Finish}});
    CHECK(h.feed(FinishExited{ExitStatus::exited(0)}) ==
          Actions{CancelTimer{}, Notify{State::Finish, State::Down}});
}

TEST_CASE("want down during finish lets finish end, then goes down", "[fsm]") {
    Harness h(with_finish());
    h.exit_after(5s, 0);
    h.feed(WantDown{});
    CHECK(h.actions.empty());
    CHECK(h.s.state == State::Finish);
    CHECK(h.s.want == Want::Down);
    CHECK(h.feed(FinishExited{ExitStatus::exited(0)}) ==
          Actions{CancelTimer{}, Notify{State::Finish, State::Down}});
}

TEST_CASE("want down during backoff goes down and cancels the timer", "[fsm]") {
    Harness h;
    h.exit_after(10ms, 1);
    REQUIRE(h.s.state == State::Backoff);
    CHECK(h.feed(WantDown{}) == Actions{CancelTimer{}, Notify{State::Backoff, State::Down}});
    CHECK_FALSE(h.s.timer);
    CHECK(h.s.fail_reason == FailReason::None);

    h.advance(1s);  // the cancelled timer's event, had it been queued, is stale
    h.feed(TimerFired{TimerPurpose::Backoff});
    CHECK(h.ignored);
    CHECK(h.s.state == State::Down);
}

TEST_CASE("want up during backoff keeps waiting for the timer", "[fsm]") {
    Harness h;
    h.exit_after(10ms, 1);
    h.feed(WantUp{});
    CHECK(h.ignored);
    CHECK(h.s.state == State::Backoff);
}

TEST_CASE("want up while stopping restarts after the exit", "[fsm]") {
    Harness h;
    for (int i = 0; i < 2; ++i) {  // build up some failures first
        h.exit_after(10ms, 1);
        h.fire();
    }
    h.feed(WantDown{});
    h.feed(WantUp{});
    CHECK(h.actions.empty());
    CHECK(h.s.state == State::Stopping);
    CHECK(h.s.want == Want::Up);

    h.advance(10ms);  // a quick exit, but one we asked for: no backoff
    CHECK(h.feed(ChildExited{ExitStatus::signaled(SIGTERM)}) ==
          Actions{CancelTimer{}, Spawn{}, Notify{State::Stopping, State::Run}});
    CHECK(h.s.failures == 0);
    CHECK(h.s.restarts == 2);  // asked for, not automatic

    SECTION("with a finish script, the restart waits for finish") {
        Harness f(with_finish());
        f.feed(WantDown{});
        f.feed(WantUp{});
        f.feed(ChildExited{ExitStatus::signaled(SIGTERM)});
        CHECK(f.s.state == State::Finish);
        CHECK(f.feed(FinishExited{ExitStatus::exited(0)}) ==
              Actions{CancelTimer{}, Spawn{}, Notify{State::Finish, State::Run}});
    }
}

TEST_CASE("once runs once and never restarts", "[fsm]") {
    Harness h({}, true);
    CHECK(h.feed(WantOnce{}) == Actions{Spawn{}, Notify{State::Down, State::Run}});
    CHECK(h.s.want == Want::Once);

    SECTION("after a healthy run") {
        CHECK(h.exit_after(1h, 0) == Actions{Notify{State::Run, State::Down}});
    }
    SECTION("after a quick crash") {
        CHECK(h.exit_after(1ms, 1) == Actions{Notify{State::Run, State::Down}});
    }
    CHECK(h.s.want == Want::Down);  // the one run is over
    CHECK(h.s.restarts == 0);
}

TEST_CASE("once while running turns off restarts", "[fsm]") {
    Harness h;
    h.feed(WantOnce{});
    CHECK(h.actions.empty());
    CHECK(h.s.want == Want::Once);
    h.exit_after(5s, 0);
    CHECK(h.s.state == State::Down);

    SECTION("want up again while running brings restarts back") {
        Harness u;
        u.feed(WantOnce{});
        u.feed(WantUp{});
        u.exit_after(5s, 0);
        CHECK(u.s.state == State::Run);
    }
}

TEST_CASE("once during backoff spawns one last time", "[fsm]") {
    Harness h;
    h.exit_after(10ms, 1);
    h.feed(WantOnce{});
    CHECK(h.s.state == State::Backoff);
    CHECK(h.fire() == Actions{Spawn{}, Notify{State::Backoff, State::Run}});
    h.exit_after(10ms, 1);
    CHECK(h.s.state == State::Down);
}

TEST_CASE("a failed spawn backs off like a quick failure, without finish", "[fsm]") {
    Harness h(with_finish());
    CHECK(h.feed(SpawnFailed{ENOENT}) == Actions{ArmTimer{h.now + 100ms, TimerPurpose::Backoff},
                                                 Notify{State::Run, State::Backoff}});
    CHECK(h.s.fail_reason == FailReason::SpawnFailed);
    CHECK(h.s.spawn_error == ENOENT);
    CHECK(h.s.failures == 1);
    h.fire();
    h.feed(SpawnFailed{EACCES});
    CHECK(h.s.timer == ArmedTimer{TimerPurpose::Backoff, h.now + 200ms});

    SECTION("with want once it goes down") {
        Harness o({}, true);
        o.feed(WantOnce{});
        CHECK(o.feed(SpawnFailed{ENOENT}) == Actions{Notify{State::Run, State::Down}});
        CHECK(o.s.want == Want::Down);
    }
    SECTION("while stopping it goes down, and the stop timer is cancelled") {
        Harness d;
        d.feed(WantDown{});
        CHECK(d.feed(SpawnFailed{ENOMEM}) ==
              Actions{CancelTimer{}, Notify{State::Stopping, State::Down}});
    }
}

TEST_CASE("a finish that cannot be spawned counts as finished", "[fsm]") {
    Harness h(with_finish());
    h.exit_after(2s, 0);
    CHECK(h.feed(FinishSpawnFailed{ENOEXEC}) ==
          Actions{CancelTimer{}, Spawn{}, Notify{State::Finish, State::Run}});
}

TEST_CASE("stale and misplaced events are ignored", "[fsm]") {
    Harness h(with_finish());
    const ServiceState before = h.s;
    const std::vector<Event> meaningless = {TimerFired{TimerPurpose::Stop},
                                            TimerFired{TimerPurpose::Finish},
                                            TimerFired{TimerPurpose::Backoff},
                                            FinishExited{ExitStatus::exited(0)},
                                            FinishSpawnFailed{ENOENT},
                                            Ready{},
                                            WantUp{},
                                            Continue{}};
    for (const Event& e : meaningless) {
        INFO(event_name(e));
        CHECK(h.feed(e).empty());
        CHECK(h.ignored);
        CHECK(h.s == before);
    }

    SECTION("a timer of another purpose than the armed one") {
        h.feed(WantDown{});
        h.feed(TimerFired{TimerPurpose::Backoff});
        CHECK(h.ignored);
        h.feed(TimerFired{TimerPurpose::Finish});
        CHECK(h.ignored);
        CHECK(h.s.timer);
    }
    SECTION("a child exit with no run process") {
        h.exit_after(2s, 0);  // now in finish
        h.feed(ChildExited{ExitStatus::exited(0)});
        CHECK(h.ignored);
        h.feed(SpawnFailed{ENOENT});
        CHECK(h.ignored);
    }
    SECTION("events in down") {
        Harness d({}, true);
        for (const Event& e :
             {Event{ChildExited{}}, Event{TimerFired{}}, Event{Pause{}}, Event{WantDown{}}}) {
            INFO(event_name(e));
            d.feed(e);
            CHECK(d.ignored);
        }
    }
}

TEST_CASE("restarts count every automatic respawn", "[fsm]") {
    Harness h;
    h.exit_after(5s, 0);  // healthy: immediate
    h.exit_after(5s, 0);
    CHECK(h.s.restarts == 2);
    h.exit_after(1ms, 1);  // quick: counted when the backoff timer spawns
    CHECK(h.s.restarts == 2);
    h.fire();
    CHECK(h.s.restarts == 3);
    h.feed(WantDown{});
    h.feed(ChildExited{ExitStatus::exited(0)});
    h.feed(WantUp{});  // explicit: not a restart
    CHECK(h.s.restarts == 3);
}

TEST_CASE("min_healthy_run and backoff come from the policy", "[fsm]") {
    Policy p;
    p.min_healthy_run = 5s;
    p.backoff = BackoffPolicy{1s, 3s};
    Harness h(p);
    h.exit_after(4s, 0);
    CHECK(h.s.timer == ArmedTimer{TimerPurpose::Backoff, h.now + 1s});
    h.fire();
    h.exit_after(4s, 0);
    CHECK(h.s.timer == ArmedTimer{TimerPurpose::Backoff, h.now + 2s});
    h.fire();
    h.exit_after(4s, 0);
    CHECK(h.s.timer == ArmedTimer{TimerPurpose::Backoff, h.now + 3s});
    h.fire();
    h.exit_after(5s, 0);
    CHECK(h.s.state == State::Run);
}

TEST_CASE("pause and continue", "[fsm]") {
    Harness h;
    CHECK(h.feed(Pause{}) == Actions{Signal{SIGSTOP}});
    CHECK(h.s.paused);
    h.feed(Pause{});
    CHECK(h.ignored);
    CHECK(h.feed(Continue{}) == Actions{Signal{SIGCONT}});
    CHECK_FALSE(h.s.paused);

    SECTION("want down wakes a paused service") {
        h.feed(Pause{});
        h.feed(WantDown{});
        CHECK_FALSE(h.s.paused);
        CHECK(count<Signal>(h.actions) == 2);
    }
    SECTION("an exit clears paused") {
        h.feed(Pause{});
        h.exit_after(2s, 0);
        CHECK_FALSE(h.s.paused);
    }
}

TEST_CASE("since changes only with the state", "[fsm]") {
    Harness h;
    h.advance(1s);
    h.feed(WantOnce{});  // want changes, state does not
    CHECK(h.s.since == kT0);
    h.advance(1s);
    h.feed(WantDown{});
    CHECK(h.s.since == kT0 + 2s);
}

// ---- runit's control scripts (runsv(8): control/C runs before command C is acted on).

namespace {

Policy with_controls(std::string scripts) {
    Policy p;
    p.stop_timeout = 10s;
    p.control_scripts = std::move(scripts);
    return p;
}

const ExitStatus kOk = ExitStatus::exited(0);
const ExitStatus kFail = ExitStatus::exited(1);

}  // namespace

TEST_CASE("control/t that exits 0 stands in for the TERM of a stop", "[fsm][control]") {
    Harness h(with_controls("t"));
    REQUIRE(h.s.state == State::Run);
    CHECK(h.feed(WantDown{}) ==
          Actions{Notify{State::Run, State::Stopping}, RunControl{'t', kT0 + 10s}});
    CHECK(h.s.want == Want::Down);
    REQUIRE(h.s.control);
    CHECK_FALSE(h.s.timer);  // the stop timer starts once TERM would have been sent

    h.advance(1s);
    // Exit 0: no TERM; CONT still goes, and the stop is bounded as ever.
    CHECK(h.feed(ControlExited{kOk}) ==
          Actions{Signal{SIGCONT}, ArmTimer{kT0 + 11s, TimerPurpose::Stop}});
    CHECK_FALSE(h.s.control);
    CHECK(h.s.state == State::Stopping);
    CHECK(h.fire() == Actions{Signal{SIGKILL}});
}

TEST_CASE("control/t that fails, is missing or runs out of time gets the TERM",
          "[fsm][control]") {
    Harness h(with_controls("t"));
    h.feed(WantDown{});
    const Actions term{Signal{SIGTERM}, Signal{SIGCONT}, ArmTimer{kT0 + 10s, TimerPurpose::Stop}};
    SECTION("exit 1") { CHECK(h.feed(ControlExited{kFail}) == term); }
    SECTION("killed by a signal") {
        CHECK(h.feed(ControlExited{ExitStatus::signaled(SIGSEGV)}) == term);
    }
    SECTION("cannot be spawned") { CHECK(h.feed(ControlSpawnFailed{ENOENT}) == term); }
    SECTION("timed out: killed, then as failed") {
        h.now = h.s.control->deadline;
        CHECK(h.feed(ControlTimedOut{}) ==
              Actions{KillControl{}, Signal{SIGTERM}, Signal{SIGCONT},
                      ArmTimer{kT0 + 20s, TimerPurpose::Stop}});
        h.feed(ControlExited{kOk});  // a late exit of the killed script means nothing
        CHECK(h.ignored);
    }
}

TEST_CASE("control/d runs after the TERM of a down; control/x after an exit", "[fsm][control]") {
    SECTION("d without t") {
        Harness h(with_controls("d"));
        CHECK(h.feed(WantDown{}) == Actions{Signal{SIGTERM}, Signal{SIGCONT},
                                            ArmTimer{kT0 + 10s, TimerPurpose::Stop},
                                            Notify{State::Run, State::Stopping},
                                            RunControl{'d', kT0 + 10s}});
        // d's exit is ignored.
        CHECK(h.feed(ControlExited{kFail}).empty());
        CHECK_FALSE(h.s.control);
    }
    SECTION("t then d; x for an exit") {
        Harness h(with_controls("tdx"));
        h.feed(WantDown{true});
        CHECK(h.feed(ControlExited{kOk}) ==
              Actions{Signal{SIGCONT}, ArmTimer{kT0 + 10s, TimerPurpose::Stop},
                      RunControl{'x', kT0 + 10s}});
    }
    SECTION("a restart runs t, never d") {
        Harness h(with_controls("td"));
        CHECK(h.feed(Restart{}) ==
              Actions{Notify{State::Run, State::Stopping}, RunControl{'t', kT0 + 10s}});
        CHECK(h.s.want == Want::Up);
        CHECK(h.feed(ControlExited{kOk}) ==
              Actions{Signal{SIGCONT}, ArmTimer{kT0 + 10s, TimerPurpose::Stop}});
        // The run exits (it got QUIT from control/t): started again at once.
        CHECK(h.exit_after(1s, 0) ==
              Actions{CancelTimer{}, Spawn{}, Notify{State::Stopping, State::Run}});
    }
    SECTION("no control/d for a service already down") {
        Harness h(with_controls("td"), true);
        h.feed(WantDown{});
        CHECK(h.ignored);
    }
}

TEST_CASE("signal commands run control/C; exit 0 keeps the signal back", "[fsm][control]") {
    Harness h(with_controls("hq12aikpc"));
    const std::vector<std::pair<int, char>> letters{{SIGHUP, 'h'},  {SIGQUIT, 'q'}, {SIGUSR1, '1'},
                                                    {SIGUSR2, '2'}, {SIGALRM, 'a'}, {SIGINT, 'i'},
                                                    {SIGKILL, 'k'}};
    for (const auto& [sig, letter] : letters) {
        CHECK(h.feed(SendSignal{sig}) == Actions{RunControl{letter, kT0 + 10s}});
        CHECK(h.feed(ControlExited{kOk}).empty());
        CHECK(h.feed(SendSignal{sig}) == Actions{RunControl{letter, kT0 + 10s}});
        CHECK(h.feed(ControlExited{kFail}) == Actions{Signal{sig}});
    }
    SECTION("pause and cont: the flag follows the command, the signal the script") {
        CHECK(h.feed(Pause{}) == Actions{RunControl{'p', kT0 + 10s}});
        CHECK(h.s.paused);
        CHECK(h.feed(ControlExited{kOk}).empty());
        // runsv runs control/c on every cont to a running service.
        CHECK(h.feed(Continue{}) == Actions{RunControl{'c', kT0 + 10s}});
        CHECK_FALSE(h.s.paused);
        CHECK(h.feed(ControlExited{kFail}) == Actions{Signal{SIGCONT}});
    }
    SECTION("without a script for it, a signal goes at once") {
        Harness plain(with_controls("t"));
        CHECK(plain.feed(SendSignal{SIGHUP}) == Actions{Signal{SIGHUP}});
    }
    SECTION("a run that went away meanwhile gets nothing") {
        h.feed(SendSignal{SIGHUP});
        h.exit_after(2s, 0);  // healthy exit: started again once the script ends
        CHECK(h.s.state == State::Down);
        CHECK(h.feed(ControlExited{kFail}) == Actions{Spawn{}, Notify{State::Down, State::Run}});
    }
}

TEST_CASE("commands wait while a control script runs, in order", "[fsm][control]") {
    Harness h(with_controls("h"));
    h.feed(SendSignal{SIGHUP});
    Transition t = step(h.s, WantDown{}, h.now, h.policy);
    CHECK(t.deferred);
    CHECK(t.actions.empty());
    CHECK(t.next == h.s);
    CHECK(step(h.s, SendSignal{SIGTERM}, h.now, h.policy).deferred);
    // Happenings do not wait: a crash is a crash.
    CHECK_FALSE(step(h.s, ChildExited{kFail}, h.now, h.policy).deferred);
}

TEST_CASE("control/u runs before every start of run; its exit is ignored", "[fsm][control]") {
    Harness h(with_controls("u"));
    CHECK(h.actions == Actions{RunControl{'u', kT0 + 10s}});
    CHECK(h.s.state == State::Down);
    CHECK(h.s.want == Want::Up);
    CHECK(h.feed(ControlExited{kFail}) == Actions{Spawn{}, Notify{State::Down, State::Run}});

    SECTION("again on a restart after a healthy run") {
        CHECK(h.exit_after(5s, 0) == Actions{Notify{State::Run, State::Down},
                                             RunControl{'u', kT0 + 15s}});
        CHECK(h.feed(ControlExited{kOk}) == Actions{Spawn{}, Notify{State::Down, State::Run}});
    }
    SECTION("want down while it runs: run is not started") {
        h.exit_after(5s, 0);
        h.feed(WantDown{});
        CHECK(h.s.want == Want::Down);
        CHECK(h.feed(ControlExited{kOk}).empty());
        CHECK(h.s.state == State::Down);
    }
}

TEST_CASE("a restart wanted while control/d runs starts once it ends", "[fsm][control]") {
    Harness h(with_controls("d"));
    h.feed(WantDown{});
    h.exit_after(1s, 0);
    REQUIRE(h.s.state == State::Down);
    REQUIRE(h.s.control);
    h.feed(WantUp{});  // down: the want takes effect at once; nothing to run yet
    CHECK(h.s.want == Want::Up);
    CHECK(h.feed(ControlExited{kOk}) == Actions{Spawn{}, Notify{State::Down, State::Run}});
}

// ---- TOML's policies: restart policy, start limit, oneshot, stop signal and kill mode

TEST_CASE("backoff grows by the configured factor", "[fsm]") {
    CHECK(backoff_delay(3, BackoffPolicy{100ms, 30s, 3.0}) == 900ms);
    CHECK(backoff_delay(5, BackoffPolicy{1s, 10s, 1.0}) == 1s);
    CHECK(backoff_delay(200, BackoffPolicy{1ns, 30s, 1.5}) == 30s);
    CHECK(backoff_delay(4000000000u, BackoffPolicy{1ms, 24h, 1.0000001}) == 24h);
    CHECK(backoff_delay(3, BackoffPolicy{100ms, 30s, 0.5}) == 100ms);  // below 1: as 1
}

TEST_CASE("restart policy on-failure: exit 0 goes down, a failure restarts", "[fsm][toml]") {
    Policy p;
    p.restart = RestartPolicy::OnFailure;
    Harness h(p);
    h.exit_after(5s, 0);
    CHECK(h.s.state == State::Down);
    CHECK(h.s.want == Want::Down);
    CHECK(count<Spawn>(h.actions) == 0);
    h.feed(WantUp{});
    h.exit_after(5s, 3);
    CHECK(h.s.state == State::Run);
    CHECK(count<Spawn>(h.actions) == 1);
}

TEST_CASE("restart policy never: a failure is failed for good, exit 0 is down", "[fsm][toml]") {
    Policy p;
    p.restart = RestartPolicy::Never;
    Harness h(p);
    h.exit_after(5s, 1);
    CHECK(h.s.state == State::Failed);
    CHECK(h.s.fail_reason == FailReason::NoRestart);
    CHECK(count<Spawn>(h.actions) == 0);
    CHECK(h.s.want == Want::Up);  // as wanted it is not: check says so
    h.feed(WantUp{});             // svctl up tries again
    CHECK(h.s.state == State::Run);
    h.exit_after(5s, 0);
    CHECK(h.s.state == State::Down);
}

TEST_CASE("a stopped service restarts when asked whatever the restart policy", "[fsm][toml]") {
    Policy p;
    p.restart = RestartPolicy::Never;
    Harness h(p);
    h.feed(Restart{});
    h.exit_after(1ms, 0);
    CHECK(h.s.state == State::Run);
    CHECK(count<Spawn>(h.actions) == 1);
}

TEST_CASE("the start limit fails a service that keeps restarting", "[fsm][toml]") {
    Policy p;
    p.start_limit = StartLimit{3, 10s};
    p.min_healthy_run = 1ms;  // every exit restarts at once
    Harness h(p);             // start 1
    h.exit_after(1s, 1);      // start 2
    h.exit_after(1s, 1);      // start 3
    CHECK(h.s.state == State::Run);
    h.exit_after(1s, 1);  // a 4th within 10s: refused
    CHECK(h.s.state == State::Failed);
    CHECK(h.s.fail_reason == FailReason::StartLimit);
    CHECK(count<Spawn>(h.actions) == 0);
    CHECK_FALSE(h.s.timer);

    h.feed(WantUp{});  // the operator's start counts afresh
    CHECK(h.s.state == State::Run);
    h.exit_after(1s, 1);
    h.exit_after(1s, 1);
    CHECK(h.s.state == State::Run);
}

TEST_CASE("starts older than the start limit's interval no longer count", "[fsm][toml]") {
    Policy p;
    p.start_limit = StartLimit{2, 10s};
    p.min_healthy_run = 1ms;
    Harness h(p);
    for (int i = 0; i < 10; ++i) {
        h.exit_after(6s, 1);
        REQUIRE(h.s.state == State::Run);
    }
    CHECK(h.s.recent_starts.size() <= 3);  // bounded by burst + 1
}

TEST_CASE("the start limit applies to restarts after a backoff", "[fsm][toml]") {
    Policy p;
    p.start_limit = StartLimit{2, 1min};
    Harness h(p);
    h.exit_after(10ms, 1);
    CHECK(h.s.state == State::Backoff);
    h.fire();
    CHECK(h.s.state == State::Run);
    h.exit_after(10ms, 1);
    h.fire();
    CHECK(h.s.state == State::Failed);
    CHECK(h.s.fail_reason == FailReason::StartLimit);
}

TEST_CASE("a oneshot is up once it exits 0, with nothing running", "[fsm][toml]") {
    Policy p;
    p.oneshot = true;
    Harness h(p);
    CHECK(h.s.state == State::Starting);
    h.exit_after(10ms, 0);
    CHECK(h.s.state == State::Run);
    CHECK(h.s.done);
    CHECK(count<Spawn>(h.actions) == 0);

    h.feed(SendSignal{SIGHUP});
    CHECK(h.ignored);
    h.feed(WantDown{});
    CHECK(h.s.state == State::Down);
    CHECK(h.actions == Actions{Notify{State::Run, State::Down}});

    h.feed(WantUp{});
    h.exit_after(10ms, 0);
    h.feed(Restart{});  // runs it again
    CHECK(h.s.state == State::Starting);
    CHECK(count<Spawn>(h.actions) == 1);
}

TEST_CASE("a oneshot that fails goes through the backoff", "[fsm][toml]") {
    Policy p;
    p.oneshot = true;
    Harness h(p);
    h.exit_after(10ms, 2);
    CHECK(h.s.state == State::Backoff);
    h.fire();
    CHECK(h.s.state == State::Starting);
}

TEST_CASE("the stop signal and kill mode come from the policy", "[fsm][toml]") {
    Policy p;
    p.stop_signal = SIGINT;
    p.kill_group = true;
    p.stop_timeout = 3s;
    Harness h(p);
    h.feed(WantDown{});
    CHECK(h.actions == Actions{Signal{SIGINT, true}, Signal{SIGCONT, true},
                               ArmTimer{kT0 + 3s, TimerPurpose::Stop},
                               Notify{State::Run, State::Stopping}});
    CHECK(h.fire() == Actions{Signal{SIGKILL, true}});
}

// ---- dependencies, as the supervisor reports them

TEST_CASE("a service whose dependencies are not ready waits in starting", "[fsm][deps]") {
    Harness h;  // spawned at start: the gate was open
    h.feed(WantDown{});
    h.exit_after(10ms, 0);
    REQUIRE(h.s.state == State::Down);
    h.feed(DepsChanged{false, false});
    CHECK(h.actions.empty());
    h.feed(WantUp{});
    CHECK(h.s.state == State::Starting);
    CHECK(h.s.waiting);
    CHECK(count<Spawn>(h.actions) == 0);
    h.feed(SendSignal{SIGHUP});
    CHECK(h.ignored);
    h.feed(DepsChanged{true, false});
    CHECK(h.actions == Actions{Spawn{}, Notify{State::Starting, State::Run}});
    CHECK_FALSE(h.s.waiting);
}

TEST_CASE("want down while waiting for dependencies goes down", "[fsm][deps]") {
    Harness h(Policy{}, true);
    h.feed(DepsChanged{false, true});
    h.feed(WantUp{});
    REQUIRE(h.s.waiting);
    h.feed(WantDown{});
    CHECK(h.s.state == State::Down);
    CHECK_FALSE(h.s.waiting);
    h.feed(DepsChanged{true, false});
    CHECK(count<Spawn>(h.actions) == 0);
}

TEST_CASE("a required dependency gone stops the service; back, it starts again", "[fsm][deps]") {
    Harness h;
    h.feed(DepsChanged{false, false});  // restarting: web keeps running
    CHECK(h.actions.empty());
    CHECK(h.s.state == State::Run);
    h.feed(DepsChanged{false, true});  // gone for good: web stops, still wanted up
    CHECK(h.s.state == State::Stopping);
    CHECK(h.s.want == Want::Up);
    h.exit_after(10ms, 0);
    CHECK(h.s.state == State::Starting);
    CHECK(h.s.waiting);
    CHECK(count<Spawn>(h.actions) == 0);
    h.feed(DepsChanged{true, false});
    CHECK(count<Spawn>(h.actions) == 1);
    CHECK(h.s.state == State::Run);
}

TEST_CASE("a blocked dependency cancels a backoff", "[fsm][deps]") {
    Harness h;
    h.exit_after(10ms, 1);
    REQUIRE(h.s.state == State::Backoff);
    h.feed(DepsChanged{false, true});
    CHECK(h.actions == Actions{CancelTimer{}, Notify{State::Backoff, State::Starting}});
    CHECK(h.s.waiting);
}

TEST_CASE("not ready within the readiness timeout is a failed start that backs off",
          "[fsm][readiness]") {
    Policy p;
    p.wait_ready = true;
    p.ready_timeout = 5s;
    p.stop_timeout = 2s;
    Harness h(p);
    CHECK(h.actions == Actions{Spawn{}, Notify{State::Down, State::Starting},
                               ArmTimer{kT0 + 5s, TimerPurpose::Ready}});
    CHECK(h.fire() == Actions{Signal{SIGTERM}, Signal{SIGCONT},
                              ArmTimer{kT0 + 7s, TimerPurpose::Stop},
                              Notify{State::Starting, State::Stopping}});
    CHECK(h.s.want == Want::Up);
    h.exit_after(10ms, 0);
    CHECK(h.s.state == State::Backoff);
    CHECK(h.s.fail_reason == FailReason::NotReady);
    CHECK(h.s.failures == 1);
    h.fire();
    CHECK(h.s.state == State::Starting);
    h.advance(1s);
    h.feed(Ready{});
    CHECK(h.actions == Actions{CancelTimer{}, Notify{State::Starting, State::Run}});
    CHECK_FALSE(h.s.timer);
}

TEST_CASE("want down while waiting to be ready stops with the stop timer", "[fsm][readiness]") {
    Policy p;
    p.wait_ready = true;
    p.ready_timeout = 5s;
    Harness h(p);
    h.feed(WantDown{});
    REQUIRE(h.s.timer);
    CHECK(h.s.timer->purpose == TimerPurpose::Stop);
}

TEST_CASE("readiness checks that give up stop the run and back off at once",
          "[fsm][readiness]") {
    Policy p;
    p.wait_ready = true;
    p.ready_timeout = 60s;
    p.stop_timeout = 2s;
    Harness h(p);
    REQUIRE(h.s.state == State::Starting);
    h.advance(3s);
    CHECK(h.feed(NotReady{}) == Actions{CancelTimer{}, Signal{SIGTERM}, Signal{SIGCONT},
                                        ArmTimer{kT0 + 5s, TimerPurpose::Stop},
                                        Notify{State::Starting, State::Stopping}});
    CHECK(h.s.want == Want::Up);
    h.exit_after(10ms, 143);
    CHECK(h.s.state == State::Backoff);
    CHECK(h.s.fail_reason == FailReason::NotReady);
    CHECK(h.s.failures == 1);
    // A late word about the run that is gone changes nothing.
    h.feed(NotReady{});
    CHECK(h.ignored);
}

TEST_CASE("NotReady means nothing once the service is up or while it waits",
          "[fsm][readiness]") {
    Policy p;
    p.wait_ready = true;
    Harness h(p);
    h.feed(Ready{});
    REQUIRE(h.s.state == State::Run);
    h.feed(NotReady{});
    CHECK(h.ignored);
}

TEST_CASE("an unhealthy run is stopped and restarted as a failure that backs off",
          "[fsm][health]") {
    Policy p;
    p.stop_timeout = 2s;
    Harness h(p);
    REQUIRE(h.s.state == State::Run);
    h.advance(10s);  // long past min_healthy_run: only the health verdict makes it a failure
    CHECK(h.feed(Unhealthy{}) == Actions{Signal{SIGTERM}, Signal{SIGCONT},
                                         ArmTimer{kT0 + 12s, TimerPurpose::Stop},
                                         Notify{State::Run, State::Stopping}});
    CHECK(h.s.want == Want::Up);
    h.exit_after(10ms, 0);
    CHECK(h.s.state == State::Backoff);
    CHECK(h.s.fail_reason == FailReason::Unhealthy);
    CHECK(h.s.failures == 1);
    CHECK(count<Spawn>(h.fire()) == 1);
    CHECK(h.s.state == State::Run);
    CHECK_FALSE(h.s.health_failed);

    SECTION("a second unhealthy run backs off longer") {
        h.advance(10s);
        h.feed(Unhealthy{});
        h.exit_after(10ms, 0);
        CHECK(h.s.failures == 2);
        REQUIRE(h.s.timer);
        CHECK(h.s.timer->deadline - h.now == backoff_delay(2, p.backoff));
    }
}

TEST_CASE("Unhealthy is ignored unless the service runs", "[fsm][health]") {
    Policy p;
    p.wait_ready = true;
    Harness h(p);
    h.feed(Unhealthy{});  // starting: health is checked only after ready
    CHECK(h.ignored);
    h.feed(WantDown{});
    h.feed(Unhealthy{});
    CHECK(h.ignored);
}
