// Stopping services: every service is told down at once, one that ignores SIGTERM is killed
// when --stop-timeout ends, finish scripts run, loggers drain and stop last, and svinit exits
// the moment the last process is gone.

#include <catch2/catch.hpp>
#include <fstream>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream file(path);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(file, line)) lines.push_back(line);
    return lines;
}

}  // namespace

TEST_CASE("SIGTERM stops a hundred services and svinit exits 0", "[supervision][shutdown]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    std::vector<std::string> wait{"wait", "up", "--timeout", "30"};
    for (const std::string& name : numbered_names("s", 100)) {
        sup.add(name, ServiceFiles(shell_script("exec sleep 100000")));
        wait.push_back(name);
    }
    sup.start();
    sup.svctl_ok(wait, 40s);

    // Told down together, they are gone in well under the 10 s stop timeout; one at a time
    // or a stop that waits the timeout out would not make it.
    CHECK(sup.stop(5s) == 0);
}

TEST_CASE("svctl shutdown runs finish scripts and stops loggers last", "[supervision][shutdown]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    const std::string fifo = sup.events().path();
    const std::string logged = sup.dir() + "/logged";
    const std::string run = "echo hello\necho \"web $$\" > '" + fifo + "'\nexec sleep 100000";
    const std::string finish = "echo \"finish $1 $2\" > '" + fifo + "'\necho from finish";
    const std::string logger =
        '\'' + helper("linelog") + "' '" + logged + "'\necho \"log exited $?\" > '" + fifo + "'";
    sup.add("web", ServiceFiles(shell_script(run))
                       .with_finish(shell_script(finish))
                       .with_logger(shell_script(logger)));
    sup.add("plain", ServiceFiles(sup.sleeper("plain")));
    sup.start();
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web", "plain"});

    const auto start = Clock::now();
    const CommandResult shutdown = sup.svctl({"shutdown"});
    INFO(shutdown);
    CHECK(shutdown.status == 0);
    CHECK(sup.svinit().wait(5s) == 0);
    CHECK(Clock::now() - start < 5s);

    // The events of the whole run, in order: finish ran before the logger ended.
    std::vector<std::string> events;
    while (std::optional<std::string> event = sup.events().read_line(0ms)) {
        if (!event->starts_with("web ") && !event->starts_with("plain ")) events.push_back(*event);
    }
    INFO("svinit's log:\n" << sup.log());
    CHECK(events == std::vector<std::string>{"finish -1 15", "log exited 0"});
    CHECK(read_lines(logged) == std::vector<std::string>{"hello", "from finish"});
}

TEST_CASE("a service that ignores SIGTERM is killed when the stop timeout ends",
          "[supervision][shutdown]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("stubborn", ServiceFiles(sup.sleeper("stubborn", "trap '' TERM")));
    sup.start({"--stop-timeout", "1"});
    sup.next_start("stubborn");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "stubborn"});

    SECTION("svctl down") {
        const auto start = Clock::now();
        sup.svctl_ok({"down", "stubborn"});
        sup.svctl_ok({"wait", "down", "--timeout", "5", "stubborn"});
        const auto elapsed = Clock::now() - start;
        INFO("down after " << std::chrono::duration_cast<Millis>(elapsed).count() << " ms");
        CHECK(elapsed >= 1s);
        CHECK(elapsed < 3s);
        const nlohmann::json status = sup.status("stubborn");
        INFO("status of stubborn: " << status.dump());
        CHECK(status["last_exit"]["kind"] == "signaled");
        CHECK(status["last_exit"]["signal"] == 9);
        CHECK(sup.stop(5s) == 0);
    }

    SECTION("SIGTERM to svinit") {
        const auto start = Clock::now();
        CHECK(sup.stop(5s) == 0);
        const auto elapsed = Clock::now() - start;
        INFO("svinit exited after " << std::chrono::duration_cast<Millis>(elapsed).count()
                                    << " ms");
        CHECK(elapsed >= 1s);
        CHECK(elapsed < 3s);
    }
}
