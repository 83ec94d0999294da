// What happens when a service's run exits: a quick exit backs off exponentially from
// --backoff-min (runit sleeps a fixed 1 s; no delay at all would spin), a healthy service
// next to it is left alone, and ./finish gets runit's arguments.

#include <catch2/catch.hpp>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

TEST_CASE("a crash-looping service backs off exponentially while a healthy one keeps running",
          "[supervision][backoff]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("crash", ServiceFiles(shell_script("echo \"crash $$\" > '" + sup.events().path() +
                                               "'\nexit 1")));
    sup.add("steady", ServiceFiles(sup.sleeper("steady")));
    sup.start();

    // Every start of crash is one event, timed as it arrives. Counted over 3 s from the
    // first: 100, 200, 400 and 800 ms of backoff put starts at 0, 0.1, 0.3, 0.7 and 1.5 s
    // (the next at 3.1 s). No backoff would give hundreds, runit's fixed 1 s gives 3.
    std::vector<Clock::time_point> starts;
    pid_t steady = 0;
    std::vector<std::string> events;
    while (starts.empty() || Clock::now() < starts.front() + 3s) {
        const Millis left = starts.empty()
                                ? Millis(10s)
                                : std::chrono::ceil<Millis>(starts.front() + 3s - Clock::now());
        const std::optional<std::string> event = sup.events().read_line(left);
        const auto now = Clock::now();
        if (!event) break;
        events.push_back(*event);
        if (event->starts_with("crash ")) {
            if (starts.empty() || now < starts.front() + 3s) starts.push_back(now);
        } else if (event->starts_with("steady ")) {
            steady = std::stoi(event->substr(7));
        }
    }
    INFO("events: " << Catch::Detail::stringify(events) << "\nsvinit's log:\n" << sup.log());
    REQUIRE_FALSE(starts.empty());
    REQUIRE(steady > 0);
    std::vector<double> gaps;
    for (size_t i = 1; i < starts.size(); ++i) gaps.push_back(ms_between(starts[i - 1], starts[i]));
    INFO("starts of crash in 3 s: " << starts.size()
                                    << ", ms between them: " << Catch::Detail::stringify(gaps));
    CHECK(starts.size() >= 4);
    CHECK(starts.size() <= 7);
    // The delay doubles (allowing for the time each start itself takes).
    for (size_t i = 1; i < gaps.size(); ++i) CHECK(gaps[i] > 1.3 * gaps[i - 1]);

    const nlohmann::json crash = sup.status("crash");
    INFO("status of crash: " << crash.dump());
    REQUIRE(crash["last_exit"].is_object());
    CHECK(crash["last_exit"]["kind"] == "exited");
    CHECK(crash["last_exit"]["code"] == 1);
    CHECK(crash["want"] == "up");
    CHECK(crash["restarts"].get<int>() >= 3);

    // The healthy one was never touched.
    CHECK(sup.pid("steady") == steady);
    CHECK(sup.status("steady")["restarts"] == 0);
    CHECK(sup.stop() == 0);
}

TEST_CASE("finish gets the exit code and the signal of run", "[supervision][finish]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    // The first run exits 3; later ones sleep until killed.
    const std::string fifo = sup.events().path();
    const std::string marker = sup.dir() + "/exited-once";
    const std::string run = "echo \"svc $$\" > '" + fifo + "'\nif [ ! -e '" + marker +
                            "' ]; then : > '" + marker + "'; exit 3; fi\nexec sleep 100000";
    sup.add("svc", ServiceFiles(shell_script(run))
                       .with_finish(shell_script("echo \"finish $1 $2\" > '" + fifo + "'")));
    sup.start();

    sup.next_start("svc");
    CHECK(sup.next_event() == "finish 3 0");
    const pid_t second = sup.next_start("svc");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "svc"});
    REQUIRE(sup.pid("svc") == second);

    sup.svctl_ok({"kill", "svc"});
    CHECK(sup.next_event() == "finish -1 9");
    const pid_t third = sup.next_start("svc");
    CHECK(third != second);
    const nlohmann::json status = sup.status("svc");
    INFO("status of svc: " << status.dump());
    CHECK(status["last_exit"]["kind"] == "signaled");
    CHECK(status["last_exit"]["signal"] == 9);
    CHECK(sup.stop() == 0);
}
