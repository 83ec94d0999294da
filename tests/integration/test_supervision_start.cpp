// Which services run: every directory with a run script starts at boot unless it has a
// `down` file, `svctl check` says whether every normally-up one runs, and directories added
// or removed while svinit runs are started or stopped.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

bool lists(const CommandResult& status, const std::string& name) {
    return std::any_of(status.lines.begin(), status.lines.end(), [&](const std::string& line) {
        return line.find(": " + name + ": ") != std::string::npos;
    });
}

}  // namespace

TEST_CASE("two hundred services all start and show run", "[supervision][start]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    const std::vector<std::string> names = numbered_names("s", 200);
    for (const std::string& name : names) {
        sup.add(name, ServiceFiles(shell_script("exec sleep 100000")));
    }
    sup.start();

    std::vector<std::string> wait{"wait", "up", "--timeout", "30"};
    wait.insert(wait.end(), names.begin(), names.end());
    sup.svctl_ok(wait, 40s);

    const CommandResult status = sup.svctl_ok({"status"});
    INFO(status);
    REQUIRE(status.lines.size() == 200);
    const std::regex run_line(R"(run: (s\d{3}): \(pid (\d+)\) \d+s)");
    std::set<std::string> seen;
    std::set<std::string> pids;
    for (const std::string& line : status.lines) {
        std::smatch match;
        INFO("line: " << line);
        REQUIRE(std::regex_match(line, match, run_line));
        seen.insert(match[1]);
        pids.insert(match[2]);
    }
    CHECK(seen == std::set<std::string>(names.begin(), names.end()));
    CHECK(pids.size() == 200);
    CHECK(sup.stop() == 0);
}

TEST_CASE("a down file keeps a service down until svctl up, and check sees it",
          "[supervision][down]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("web", ServiceFiles(sup.sleeper("web")));
    sup.add("lazy", ServiceFiles(sup.sleeper("lazy")).normally_down());
    sup.start();
    sup.next_start("web");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});

    // Normally down, and not started: runit's "down: NAME: Ts" with no ", normally up".
    CommandResult status = sup.svctl_ok({"status", "lazy"});
    INFO(status);
    REQUIRE(status.lines.size() == 1);
    CHECK(std::regex_match(status.lines[0], std::regex(R"(down: lazy: \d+s)")));
    CHECK(sup.status("lazy")["pid"] == 0);
    // The normally-down service does not count against check.
    sup.svctl_ok({"check"});

    // A normally-up service taken down on purpose is as wanted: check passes...
    sup.svctl_ok({"down", "web"});
    sup.svctl_ok({"wait", "down", "--timeout", "10", "web"});
    status = sup.svctl_ok({"status", "web"});
    REQUIRE(status.lines.size() == 1);
    CHECK(std::regex_match(status.lines[0], std::regex(R"(down: web: \d+s, normally up)")));
    const CommandResult check = sup.svctl({"check"});
    INFO(check);
    CHECK(check.status == 0);

    // ...and up starts even a normally-down one.
    sup.svctl_ok({"up", "lazy"});
    const pid_t lazy = sup.next_start("lazy");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "lazy"});
    status = sup.svctl_ok({"status", "lazy"});
    REQUIRE(status.lines.size() == 1);
    CHECK(std::regex_match(
        status.lines[0],
        std::regex(R"(run: lazy: \(pid )" + std::to_string(lazy) + R"(\) \d+s, normally down)")));
    CHECK(sup.svctl({"check"}).status == 0);  // lazy wanted up and running, web wanted down

    sup.svctl_ok({"up", "web"});
    sup.next_start("web");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});
    sup.svctl_ok({"check"});
    CHECK(sup.stop() == 0);
}

TEST_CASE("service directories added at runtime start, removed ones stop", "[supervision][watch]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("base", ServiceFiles(sup.sleeper("base")));
    sup.start();
    sup.next_start("base");

    // One directory is built elsewhere and moved in whole; the other is made in place, its
    // run script arriving after the directory (written to a temp name, then renamed).
    const std::string staging = sup.dir() + "/staging";
    write_service(staging + "/moved", ServiceFiles(sup.sleeper("moved")));
    std::filesystem::rename(staging + "/moved", sup.service_path("moved"));
    std::filesystem::create_directory(sup.service_path("made"));
    write_file(sup.service_path("made") + "/run", sup.sleeper("made"), 0755);

    // The starts are the events; svctl must know both services by then.
    std::set<std::string> started;
    std::map<std::string, pid_t> pids;
    for (int i = 0; i < 2; ++i) {
        const std::string event = sup.next_event(10s);
        const auto space = event.find(' ');
        REQUIRE(space != std::string::npos);
        started.insert(event.substr(0, space));
        pids[event.substr(0, space)] = std::stoi(event.substr(space + 1));
    }
    REQUIRE(started == std::set<std::string>{"made", "moved"});
    sup.svctl_ok({"wait", "up", "--timeout", "10", "moved", "made"});
    CHECK(sup.pid("moved") == pids["moved"]);
    CHECK(sup.pid("made") == pids["made"]);

    const std::optional<pid_t> moved_host = sup.host_pid_of(pids["moved"]);
    const std::optional<pid_t> made_host = sup.host_pid_of(pids["made"]);
    REQUIRE(moved_host.has_value());
    REQUIRE(made_host.has_value());

    std::filesystem::remove_all(sup.service_path("moved"));
    {
        INFO("the process of the removed service moved is still there; svinit's log:\n"
             << sup.log());
        CHECK(wait_gone(*moved_host, 10s));
    }
    // The service leaves the table right after its process is gone: allow a few tries.
    const auto deadline = Clock::now() + 5s;
    CommandResult status = sup.svctl_ok({"status"});
    while (lists(status, "moved") && Clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
        status = sup.svctl_ok({"status"});
    }
    INFO(status);
    CHECK_FALSE(lists(status, "moved"));
    CHECK(lists(status, "made"));
    CHECK(lists(status, "base"));
    const CommandResult gone = sup.svctl({"status", "moved"});
    INFO(gone);
    CHECK(gone.status == 5);

    // The other one was left alone.
    CHECK(sup.pid("made") == pids["made"]);
    CHECK_FALSE(wait_gone(*made_host, 0ms));
    CHECK(sup.stop() == 0);
}
