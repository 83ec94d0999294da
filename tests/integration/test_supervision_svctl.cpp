// svctl's commands against a running svinit: up, down, once, restart, term, wait and their
// exit codes.

#include <catch2/catch.hpp>
#include <regex>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

TEST_CASE("svctl down, up, restart and term change the run process", "[supervision][svctl]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("web", ServiceFiles(sup.sleeper("web")));
    sup.start();
    const pid_t first = sup.next_start("web");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});
    REQUIRE(sup.pid("web") == first);
    const std::optional<pid_t> first_host = sup.host_pid_of(first);
    REQUIRE(first_host.has_value());

    SECTION("down stops it, up starts a new one") {
        sup.svctl_ok({"down", "web"});
        sup.svctl_ok({"wait", "down", "--timeout", "10", "web"});
        CHECK(wait_gone(*first_host, 5s));
        const CommandResult status = sup.svctl_ok({"status", "web"});
        INFO(status);
        REQUIRE(status.lines.size() == 1);
        CHECK(std::regex_match(status.lines[0], std::regex(R"(down: web: \d+s, normally up)")));
        CHECK(sup.status("web")["want"] == "down");

        sup.svctl_ok({"up", "web"});
        const pid_t second = sup.next_start("web");
        CHECK(second != first);
        sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});
        CHECK(sup.pid("web") == second);
    }

    SECTION("restart, by name or by directory path, gives a new pid") {
        sup.svctl_ok({"restart", "web"});
        const pid_t second = sup.next_start("web");
        CHECK(second != first);
        CHECK(wait_gone(*first_host, 5s));
        sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});
        CHECK(sup.pid("web") == second);

        sup.svctl_ok({"restart", sup.service_path("web")});
        const pid_t third = sup.next_start("web");
        CHECK(third != second);
        sup.svctl_ok({"wait", "up", "--timeout", "10", sup.service_path("web")});
        CHECK(sup.pid(sup.service_path("web")) == third);
    }

    SECTION("term ends the run process, which is restarted since it still wants up") {
        sup.svctl_ok({"term", "web"});
        const pid_t second = sup.next_start("web");
        CHECK(second != first);
        CHECK(wait_gone(*first_host, 5s));
        sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});
        const nlohmann::json status = sup.status("web");
        INFO("status of web: " << status.dump());
        CHECK(status["pid"] == second);
        CHECK(status["want"] == "up");
        CHECK(status["last_exit"]["kind"] == "signaled");
        CHECK(status["last_exit"]["signal"] == 15);
    }
    CHECK(sup.stop() == 0);
}

TEST_CASE("svctl once runs a service one time", "[supervision][svctl]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("job", ServiceFiles(sup.sleeper("job")).normally_down());
    sup.start();

    sup.svctl_ok({"once", "job"});
    const pid_t pid = sup.next_start("job");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "job"});
    CHECK(sup.status("job")["want"] == "once");

    // It ends quickly, which with want up would mean a restart within 100 ms.
    sup.svctl_ok({"term", "job"});
    sup.svctl_ok({"wait", "down", "--timeout", "10", "job"});
    const std::optional<std::string> restarted = sup.events().read_line(1500ms);
    CHECK(restarted.value_or("none") == "none");
    const nlohmann::json status = sup.status("job");
    INFO("status of job: " << status.dump());
    CHECK(status["state"] == "down");
    CHECK(status["pid"] == 0);
    CHECK(status["want"] != "up");
    CHECK(pid > 0);
    CHECK(sup.stop() == 0);
}

TEST_CASE("svctl wait and its exit codes", "[supervision][svctl]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("web", ServiceFiles(sup.sleeper("web")));
    sup.add("idle", ServiceFiles(sup.sleeper("idle")).normally_down());
    sup.start();
    sup.next_start("web");

    SECTION("up and down are reached") {
        sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});
        sup.svctl_ok({"wait", "down", "--timeout", "10", "idle"});
        // A wait without a timeout that is satisfied later.
        Process waiter = Process::spawn(
            {SVINIT_BIN_DIR "/svctl", "--socket", sup.socket(), "wait", "up", "idle"});
        sup.svctl_ok({"up", "idle"});
        sup.next_start("idle");
        INFO("svinit's log:\n" << sup.log() << "\nwaiter's stderr:\n" << waiter.stderr_text());
        CHECK(waiter.wait(10s) == 0);
    }

    SECTION("a service that never comes up times out with exit 1") {
        const auto start = Clock::now();
        const CommandResult result = sup.svctl({"wait", "up", "--timeout", "0.5", "idle"});
        const auto elapsed = Clock::now() - start;
        INFO(result);
        CHECK(result.status == 1);
        CHECK(elapsed >= 500ms);
        CHECK(elapsed < 5s);
        CHECK(sup.status("idle")["state"] == "down");
    }

    SECTION("an unknown service is exit 5, named in the message") {
        for (const std::vector<std::string>& args : {std::vector<std::string>{"up", "nosuch"},
                                                     {"status", "nosuch"},
                                                     {"wait", "up", "--timeout", "1", "nosuch"},
                                                     {"status", "web", "nosuch"}}) {
            const CommandResult result = sup.svctl(args);
            INFO("svctl " << Catch::Detail::stringify(args) << "\n" << result);
            CHECK(result.status == 5);
            CHECK(result.err.find("nosuch") != std::string::npos);
        }
        sup.svctl_ok({"status", "web"});
    }

    SECTION("no svinit at the socket is exit 3") {
        const CommandResult missing = run_command(
            {SVINIT_BIN_DIR "/svctl", "--socket", sup.dir() + "/absent.sock", "status"}, 10s);
        INFO(missing);
        CHECK(missing.status == 3);
        const CommandResult via_env =
            run_command({"env", "SVINIT_SOCKET=" + sup.dir() + "/absent.sock",
                         SVINIT_BIN_DIR "/svctl", "check"},
                        10s);
        INFO(via_env);
        CHECK(via_env.status == 3);
    }
    CHECK(sup.stop() == 0);
}
