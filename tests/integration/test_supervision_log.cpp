// A service's logger reads a pipe whose both ends svinit holds: a logger killed and restarted
// mid-stream, and the final drain at shutdown, lose no line.

#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

constexpr int kLines = 100000;
constexpr int kLoggerKills = 3;

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream file(path);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(file, line)) lines.push_back(line);
    return lines;
}

// "" when lines are exactly "1" to "count" in order, otherwise where they go wrong.
std::string numbering_problem(const std::vector<std::string>& lines, int count) {
    for (size_t i = 0; i < lines.size() && i < static_cast<size_t>(count); ++i) {
        if (lines[i] != std::to_string(i + 1)) {
            std::string around;
            for (size_t k = i >= 2 ? i - 2 : 0; k < lines.size() && k < i + 3; ++k) {
                around += " " + lines[k];
            }
            return "line " + std::to_string(i + 1) + " is \"" + lines[i] +
                   "\"; lines around it:" + around;
        }
    }
    if (lines.size() != static_cast<size_t>(count)) {
        return std::to_string(lines.size()) + " lines instead of " + std::to_string(count) +
               (lines.empty() ? "" : "; the last is \"" + lines.back() + "\"");
    }
    return "";
}

}  // namespace

TEST_CASE("a logger killed mid-stream loses no line", "[supervision][log]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    const std::string fifo = sup.events().path();
    const std::string logged = sup.dir() + "/logged";
    const std::string writer =
        "exec '" + helper("numbered") + "' " + std::to_string(kLines) + " '" + fifo + "'";
    const std::string logger =
        "echo \"log $$\" > '" + fifo + "'\nexec '" + helper("linelog") + "' '" + logged + "'";
    sup.add("talk", ServiceFiles(shell_script(writer)).with_logger(shell_script(logger)));
    sup.start();

    // Each logger says when it starts; the first three get SIGTERM at once, while the lines
    // flow (the writer is ahead of a logger that reads a byte at a time, and waits for it
    // while a killed logger sits out its backoff).
    int kills = 0;
    std::vector<std::string> events;
    for (;;) {
        const std::string event = sup.next_event(30s);
        events.push_back(event);
        INFO("events: " << Catch::Detail::stringify(events));
        if (event == "done") {
            REQUIRE(kills == kLoggerKills);  // otherwise the stream ended too soon to test
            break;
        }
        REQUIRE(event.starts_with("log "));
        if (kills == kLoggerKills) continue;
        const pid_t logger_pid = std::stoi(event.substr(4));
        REQUIRE(sup.log_pid("talk") == logger_pid);
        const std::optional<pid_t> host = sup.host_pid_of(logger_pid);
        REQUIRE(host.has_value());
        REQUIRE(::kill(*host, SIGTERM) == 0);
        ++kills;
    }
    const nlohmann::json status = sup.status("talk");
    INFO("status of talk: " << status.dump());
    CHECK(status["restarts"] == 0);
    CHECK(status["log"]["restarts"].get<int>() >= kLoggerKills);

    // Everything written is in the pipe or the file; at shutdown the logger drains the pipe.
    CHECK(sup.stop() == 0);
    const std::vector<std::string> lines = read_lines(logged);
    INFO("svinit's log:\n" << sup.log());
    CHECK(numbering_problem(lines, kLines) == "");
}
