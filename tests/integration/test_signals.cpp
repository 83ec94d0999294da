// Signals sent to svinit reach its command (or, with --signal-group, the command's whole
// process group), one line from the sigrecord helper per delivered signal.

#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "support/procfs.h"
#include "support/svinit.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

struct NamedSignal {
    int number;
    const char* name;
};

// Everything svinit must forward, SIGTERM aside: it ends sigrecord, so it goes last. TSTP,
// TTIN and TTOU would stop a process that doesn't handle them; they must not stop svinit.
const std::vector<NamedSignal> kForwarded = {
    {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},   {SIGUSR1, "SIGUSR1"},
    {SIGUSR2, "SIGUSR2"}, {SIGALRM, "SIGALRM"}, {SIGWINCH, "SIGWINCH"}, {SIGCONT, "SIGCONT"},
    {SIGTSTP, "SIGTSTP"}, {SIGTTIN, "SIGTTIN"}, {SIGTTOU, "SIGTTOU"},   {SIGURG, "SIGURG"},
    {SIGPIPE, "SIGPIPE"}, {SIGTERM, "SIGTERM"},
};

std::string line_for(const char* recorder, int signal) {
    return std::string(recorder) + " " + std::to_string(signal);
}

pid_t require_svinit_pid(const Process& unshare) {
    const std::optional<pid_t> pid = svinit_host_pid(unshare);
    REQUIRE(pid.has_value());
    return *pid;
}

// The lines left on stdout once the process has exited.
std::vector<std::string> remaining_lines(Process& process) {
    std::vector<std::string> lines;
    while (std::optional<std::string> line = process.read_line(0ms)) lines.push_back(*line);
    return lines;
}

}  // namespace

TEST_CASE("every forwarded signal reaches the command", "[signals]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    Process svinit = harness.start({}, {helper("sigrecord"), "main"});
    expect_line(svinit, "main ready");
    const pid_t pid1 = require_svinit_pid(svinit);

    // SIGCHLD is svinit's own: sent to svinit it must not reach the command. Forwarded by
    // mistake, it would show up as an unexpected "main 17" line below, or left over at the end.
    REQUIRE(::kill(pid1, SIGCHLD) == 0);

    // One at a time, each confirmed before the next: signals of one number could merge.
    for (const NamedSignal& signal : kForwarded) {
        INFO("sent " << signal.name << " to svinit (host pid " << pid1 << ")");
        REQUIRE(::kill(pid1, signal.number) == 0);
        expect_line(svinit, line_for("main", signal.number));
    }
    const int status = svinit.wait(10s);
    CHECK(status == 0);
    CHECK(remaining_lines(svinit).empty());
}

TEST_CASE("with signal-group every signal reaches the command's whole process group", "[signals]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    // "child" is the command's child, in the command's process group.
    Process svinit = harness.start({"--signal-group"}, {helper("sigrecord"), "main", "child"});
    expect_line(svinit, "main ready");
    const pid_t pid1 = require_svinit_pid(svinit);

    for (const NamedSignal& signal : kForwarded) {
        INFO("sent " << signal.name << " to svinit (host pid " << pid1 << ")");
        REQUIRE(::kill(pid1, signal.number) == 0);
        std::vector<std::string> lines;
        for (int i = 0; i < 2; ++i) {
            const std::optional<std::string> line = svinit.read_line(10s);
            INFO("lines so far: " << Catch::Detail::stringify(lines) << "\nstderr:\n"
                                  << svinit.stderr_text());
            REQUIRE(line.has_value());
            lines.push_back(*line);
        }
        std::sort(lines.begin(), lines.end());
        CHECK(lines == std::vector<std::string>{line_for("child", signal.number),
                                                line_for("main", signal.number)});
    }
    const int status = svinit.wait(10s);
    CHECK(status == 0);
    CHECK(remaining_lines(svinit).empty());
}

TEST_CASE("without signal-group only the command itself gets forwarded signals", "[signals]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    Process svinit = harness.start({}, {helper("sigrecord"), "main", "child"});
    expect_line(svinit, "main ready");
    const pid_t pid1 = require_svinit_pid(svinit);

    for (const int signal : {SIGUSR1, SIGHUP, SIGTERM}) {
        REQUIRE(::kill(pid1, signal) == 0);
        expect_line(svinit, line_for("main", signal));
    }
    const int status = svinit.wait(10s);
    CHECK(status == 0);
    // The child's only signal is the sweep's SIGTERM. Had it been sent USR1 or HUP as well,
    // those (sent earlier, and lower-numbered) would have been recorded first.
    CHECK(remaining_lines(svinit) == std::vector<std::string>{"child 15"});
}
