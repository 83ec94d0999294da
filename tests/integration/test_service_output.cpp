// svinit reading its services' output (--service-output): prefixed and JSON lines on its
// stdout, svctl logs and logs -f, a flood that cannot stop svinit answering, rotated files.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

std::string svctl_path() {
    return std::string(SVINIT_BIN_DIR) + "/svctl";
}

// The next `count` lines on svinit's stdout, REQUIRE-d to come in time.
std::vector<std::string> next_lines(Supervision& sup, std::size_t count) {
    std::vector<std::string> lines;
    while (lines.size() < count) {
        auto line = sup.svinit().read_line(10s);
        INFO("lines so far: " << Catch::Detail::stringify(lines) << "\nsvinit's log:\n"
                              << sup.log());
        REQUIRE(line.has_value());
        lines.push_back(*line);
    }
    return lines;
}

}  // namespace

TEST_CASE("prefix mode writes NAME | line for stdout and stderr; svctl logs -n shows the last",
          "[output]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    sup.add("web", ServiceFiles(shell_script("echo one\necho two\necho three\necho oops >&2\n"
                                             "echo \"web $$\" > '" + sup.events().path() +
                                             "'\nexec sleep 1000\n")));
    sup.start({"--service-output=prefix"});
    sup.next_start("web");
    const auto lines = next_lines(sup, 4);
    // stdout's lines in order; stderr's is read through its own pipe, so it may come anywhere.
    std::vector<std::string> out;
    for (const auto& line : lines) {
        if (line != "web | oops") out.push_back(line);
    }
    CHECK(out == std::vector<std::string>{"web | one", "web | two", "web | three"});
    CHECK(std::set<std::string>(lines.begin(), lines.end()).contains("web | oops"));

    const CommandResult all = sup.svctl_ok({"logs", "-n", "100", "web"});
    CHECK(all.lines.size() == 4);
    const CommandResult last = sup.svctl_ok({"logs", "-n", "1", "web"});
    REQUIRE(last.lines.size() == 1);
    CHECK(last.lines[0] == all.lines.back());
    // --since: by the time svinit read each line; every line was read before this request.
    CHECK(sup.svctl_ok({"logs", "--since", "1h", "web"}).lines == all.lines);
    CHECK(sup.svctl_ok({"logs", "--since", "1h", "-n", "2", "web"}).lines.size() == 2);
    CHECK(sup.svctl_ok({"logs", "--since", "0s", "web"}).lines.empty());

    const CommandResult unknown = sup.svctl({"logs", "nosuch"});
    CHECK(unknown.status == 5);
}

TEST_CASE("prefix mode writes the fields --service-log-prefix chooses before the bar", "[output]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    sup.add("web", ServiceFiles(shell_script("echo oops >&2\nexec sleep 1000\n")));
    sup.start({"--service-output=prefix", "--service-log-prefix=rfc3339,stream,name"});
    const auto lines = next_lines(sup, 1);
    // 2026-11-28T01:45:00.123456Z stderr web | oops
    REQUIRE(lines[0].size() > 28);
    CHECK(lines[0][26] == 'Z');
    CHECK(lines[0].substr(28) == "stderr web | oops");
}

TEST_CASE("json mode writes one JSON object per line", "[output]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    sup.add("api", ServiceFiles(shell_script("printf 'caf\\303\\251 \"q\" \\377\\n' >&2\n"
                                             "exec sleep 1000\n")));
    sup.start({"--service-output=json"});
    const auto lines = next_lines(sup, 1);
    const auto json = nlohmann::json::parse(lines[0]);
    CHECK(json["service"] == "api");
    CHECK(json["stream"] == "stderr");
    CHECK(json["msg"] == "caf\xC3\xA9 \"q\" \xEF\xBF\xBD");
    CHECK(json["ts"].get<std::string>().ends_with("Z"));
}

TEST_CASE("svctl logs -f sees new lines, across a restart", "[output]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    // HUP makes it say so; `sleep & wait` lets the trap run at once.
    sup.add("web", ServiceFiles(shell_script(
                       "trap 'echo got-hup' HUP\necho ready $$\necho \"web $$\" > '" +
                       sup.events().path() + "'\nwhile :; do sleep 1000 & wait $!; done\n")));
    sup.start({"--service-output=prefix"});
    const pid_t first = sup.next_start("web");
    next_lines(sup, 1);  // svinit has read "ready": the ring holds it

    Process follow = Process::spawn({svctl_path(), "--socket", sup.socket(), "logs", "-f", "-n",
                                     "1", "web"});
    auto line = follow.read_line(10s);
    REQUIRE(line == "ready " + std::to_string(first));

    sup.svctl_ok({"hup", "web"});
    CHECK(follow.read_line(10s) == "got-hup");

    sup.svctl_ok({"restart", "web"});
    const pid_t second = sup.next_start("web");
    CHECK(follow.read_line(10s) == "ready " + std::to_string(second));

    // The follower going away leaves svinit as it was: the line still reaches stdout.
    follow.kill_all();
    sup.svctl_ok({"hup", "web"});
    CHECK(next_lines(sup, 3) == std::vector<std::string>{"web | got-hup",
                                                         "web | ready " + std::to_string(second),
                                                         "web | got-hup"});
    sup.svctl_ok({"status", "web"});
}

TEST_CASE("a flood into a stdout nobody reads blocks the service, not svinit", "[output]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    sup.add("flood", ServiceFiles(shell_script("echo \"flood $$\" > '" + sup.events().path() +
                                               "'\nexec yes flooding\n")));
    sup.add("web", ServiceFiles(sup.sleeper("web")).normally_down());
    sup.start({"--service-output=prefix", "--service-log-ring=4K"});
    sup.next_start("flood");
    // The test reads nothing of svinit's stdout from here on: the pipe fills, svinit's
    // queue fills, and svinit stops reading the flood. It must still answer and supervise.
    for (int i = 0; i < 5; ++i) {
        const CommandResult status = sup.svctl_ok({"status", "flood"});
        REQUIRE(status.lines.size() == 1);
        CHECK(status.lines[0].starts_with("run: flood:"));
    }
    sup.svctl_ok({"up", "web"});
    sup.next_start("web");
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});
    const CommandResult last = sup.svctl_ok({"logs", "-n", "2", "flood"});
    CHECK(last.lines == std::vector<std::string>{"flooding", "flooding"});
    CHECK(sup.status("flood")["state"] == "run");
}

TEST_CASE("file mode rotates by size and keeps at most --service-log-keep old files",
          "[output]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    const std::string logs = sup.dir() + "/logs";
    // 200 lines of 50 bytes: 10,000 bytes, ten files' worth at 1K.
    sup.add("batch", ServiceFiles(shell_script(
                         "i=0\nwhile [ $i -lt 200 ]; do printf 'line %044d\\n' $i; "
                         "i=$((i+1)); done\necho \"batch $$\" > '" +
                         sup.events().path() + "'\nexec sleep 1000\n")));
    sup.start({"--service-output=file", "--service-log-dir=" + logs,
               "--service-log-max-size=1K", "--service-log-keep=2"});
    sup.next_start("batch");
    REQUIRE(sup.stop() == 0);  // at its end svinit reads what the pipes still hold

    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(logs)) {
        names.insert(entry.path().filename());
        CHECK(entry.file_size() <= 1024);
        CHECK(entry.file_size() % 50 == 0);
    }
    CHECK(names == std::set<std::string>{"batch.log", "batch.log.1", "batch.log.2"});
    std::ifstream current(logs + "/batch.log");
    std::string line;
    std::string last;
    while (std::getline(current, line)) last = line;
    char expected[64];
    std::snprintf(expected, sizeof expected, "line %044d", 199);
    CHECK(last == expected);
}

TEST_CASE("a service with a runit logger keeps its pipe to it in prefix mode", "[output]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    const std::string logged = sup.dir() + "/logged";
    sup.add("talk", ServiceFiles(shell_script("echo to-logger\necho \"talk $$\" > '" +
                                              sup.events().path() + "'\nexec sleep 1000\n"))
                        .with_logger(shell_script("exec '" + helper("linelog") + "' '" +
                                                  logged + "'")));
    sup.start({"--service-output=prefix"});
    sup.next_start("talk");
    CHECK(sup.svctl({"logs", "talk"}).status == 1);  // not captured: the logger reads it
    REQUIRE(sup.stop() == 0);  // the logger drains the pipe and exits
    std::ifstream file(logged);
    std::string line;
    REQUIRE(std::getline(file, line));
    CHECK(line == "to-logger");
    CHECK(sup.svinit().read_line(1s) == std::nullopt);  // svinit has exited: EOF at once
}
