// svctl invoked as `sv` speaks runit's sv: the status lines that scripts parse, the names
// printed exactly as given, and the number of failed services as the exit code.

#include <catch2/catch.hpp>
#include <regex>

#include "support/regex.h"
#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

}  // namespace

TEST_CASE("sv status prints runit's lines for service paths", "[supervision][sv]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("a", ServiceFiles(sup.sleeper("a")));
    sup.add("b", ServiceFiles(sup.sleeper("b")).with_logger(shell_script("exec cat > /dev/null")));
    sup.add("c", ServiceFiles(sup.sleeper("c")).normally_down());
    sup.start();
    sup.svctl_ok({"wait", "up", "--timeout", "10", "a", "b"});
    const std::string root = sup.service_root();
    const std::string sv = SVINIT_BIN_DIR "/sv";
    const std::string env_socket = "SVINIT_SOCKET=" + sup.socket();

    SECTION("every line of sv status DIR/* has the path as given") {
        const CommandResult status = run_command(
            {"env", env_socket, "sh", "-c", R"(exec "$0" status "$1"/*)", sv, root}, 20s);
        INFO(status << "\nsvinit's log:\n" << sup.log());
        CHECK(status.status == 0);
        REQUIRE(status.lines.size() == 3);
        const std::string path = regex_escape(root);
        const std::string any =
            "^(run|down|finish): " + path + "/[abc]: (\\(pid \\d+\\) )?\\d+s.*$";
        for (const std::string& line : status.lines) CHECK(matches(line, any));
        CHECK(matches(status.lines[0], "run: " + path + R"(/a: \(pid \d+\) \d+s)"));
        CHECK(matches(status.lines[1],
                      "run: " + path + R"(/b: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s)"));
        CHECK(matches(status.lines[2], "down: " + path + R"(/c: \d+s)"));

        // What a runit script does with it: the services that run.
        const CommandResult running =
            run_command({"env", env_socket, "sh", "-c",
                         R"("$0" status "$1"/* | awk -F': ' '$1 == "run" { print $2 }')", sv, root},
                        20s);
        INFO(running);
        CHECK(running.status == 0);
        CHECK(running.lines == std::vector<std::string>{root + "/a", root + "/b"});
    }

    SECTION("names relative to SVDIR are printed as given") {
        const CommandResult status =
            run_command({"env", env_socket, "SVDIR=" + root, sv, "status", "c", "a"}, 20s);
        INFO(status);
        CHECK(status.status == 0);
        REQUIRE(status.lines.size() == 2);
        CHECK(matches(status.lines[0], R"(down: c: \d+s)"));
        CHECK(matches(status.lines[1], R"(run: a: \(pid \d+\) \d+s)"));
    }

    SECTION("a missing service fails, and the exit code counts the failures") {
        const CommandResult one = sup.sv({"status", root + "/nosuch"});
        INFO(one);
        CHECK(one.status == 1);
        CHECK(one.lines ==
              std::vector<std::string>{
                  "fail: " + root +
                  "/nosuch: unable to change to service directory: file does not exist"});

        const CommandResult two = sup.sv({"status", root + "/nosuch", root + "/a", root + "/nope"});
        INFO(two);
        CHECK(two.status == 2);
        REQUIRE(two.lines.size() == 3);
        CHECK(matches(two.lines[1], "run: " + regex_escape(root) + R"(/a: \(pid \d+\) \d+s)"));
    }

    SECTION("stop and start wait and say ok") {
        const CommandResult stop = sup.sv({"-w", "5", "stop", root + "/a"});
        INFO(stop << "\nsvinit's log:\n" << sup.log());
        CHECK(stop.status == 0);
        REQUIRE(stop.lines.size() == 1);
        CHECK(
            matches(stop.lines[0], "ok: down: " + regex_escape(root) + R"(/a: \d+s, normally up)"));
        CHECK(sup.status("a")["state"] == "down");

        const CommandResult start = sup.sv({"-w", "5", "start", root + "/a"});
        INFO(start);
        CHECK(start.status == 0);
        REQUIRE(start.lines.size() == 1);
        CHECK(
            matches(start.lines[0], "ok: run: " + regex_escape(root) + R"(/a: \(pid \d+\) \d+s)"));
    }
    CHECK(sup.stop() == 0);
}
