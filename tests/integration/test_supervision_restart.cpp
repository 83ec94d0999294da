// What happens when a service's run exits: a quick exit backs off exponentially from
// --backoff-min (runit sleeps a fixed 1 s; no delay at all would spin), a healthy service
// next to it is left alone, and ./finish gets runit's arguments.

#include <catch2/catch.hpp>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

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

    // Four starts of crash are four events; the delays between them (100, 200, 400 ms,
    // doubling) are checked exactly, on a fake clock, in the unit tests (supervisor fake).
    int crash_starts = 0;
    pid_t steady = 0;
    std::vector<std::string> events;
    while (crash_starts < 4 || steady == 0) {
        const std::string event = sup.next_event(10s);
        events.push_back(event);
        if (event.starts_with("crash ")) ++crash_starts;
        if (event.starts_with("steady ")) steady = std::stoi(event.substr(7));
    }
    INFO("events: " << Catch::Detail::stringify(events) << "\nsvinit's log:\n" << sup.log());
    // svinit said why and for how long it waits.
    CHECK(sup.log().find("crash: exited with status 1 after") != std::string::npos);
    CHECK(sup.log().find("restarting in 0.4s (attempt 3)") != std::string::npos);

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
