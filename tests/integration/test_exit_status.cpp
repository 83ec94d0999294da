// svinit's exit status is its command's: the exit code, 128+N for a signal, 126/127 when it
// cannot be run, 2 for bad usage, whatever else happens in the namespace.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/svinit.h"

using namespace svinit::test;
using namespace std::chrono_literals;

TEST_CASE("svinit exits with the command's exit code", "[exit]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    for (const int code : {0, 3}) {
        INFO("command: exit " << code);
        Process svinit = harness.start({}, {"sh", "-c", "exit " + std::to_string(code)});
        const int status = svinit.wait(10s);
        CHECK(status == code);
    }
}

TEST_CASE("svinit exits with 128+N when the command is killed by signal N", "[exit]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    Process killed = harness.start({}, {"sh", "-c", "kill -KILL $$"});
    const int killed_status = killed.wait(10s);
    CHECK(killed_status == 128 + 9);
    Process terminated = harness.start({}, {"sh", "-c", "kill -TERM $$"});
    const int terminated_status = terminated.wait(10s);
    CHECK(terminated_status == 128 + 15);
}

TEST_CASE("a command that does not exist exits 127 and is named on stderr", "[exit]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    for (const std::string& command :
         {std::string("svinit-test-no-such-command"), harness.dir() + "/missing"}) {
        INFO("command: " << command);
        Process svinit = harness.start({}, {command});
        const int status = svinit.wait(10s);
        CHECK(status == 127);
        const std::string& err = svinit.stderr_text();
        INFO("stderr:\n" << err);
        const size_t named = err.find(command);
        REQUIRE(named != std::string::npos);
        // Logs are "svinit: ..." lines; this one too.
        const size_t line_start = err.rfind('\n', named);
        CHECK(err.compare(line_start == std::string::npos ? 0 : line_start + 1, 7, "svinit:") == 0);
    }
}

TEST_CASE("a command that is not executable exits 126", "[exit]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    // Even root may not exec a file without any execute bit.
    const std::string script = harness.dir() + "/not-executable";
    std::ofstream(script) << "#!/bin/sh\nexit 0\n";
    REQUIRE(chmod(script.c_str(), 0644) == 0);

    Process svinit = harness.start({}, {script});
    const int status = svinit.wait(10s);
    CHECK(status == 126);
}

TEST_CASE("an unknown flag or a missing command is a usage error with exit 2", "[exit][usage]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    const std::string loop = "--event-loop=" + backend;

    const std::vector<std::vector<std::string>> bad_usages = {
        {loop, "--no-such-flag", "--", "true"},
        {loop},
        {loop, "--"},
        {loop, "--kill-grace"},  // a flag without its value
    };
    for (const std::vector<std::string>& args : bad_usages) {
        INFO("svinit " << Catch::Detail::stringify(args));
        Process svinit = harness.start_raw(args);
        const int status = svinit.wait(10s);
        CHECK(status == 2);
        CHECK_FALSE(svinit.stderr_text().empty());  // the usage
    }
}

TEST_CASE("a malformed kill grace is a usage error with exit 2", "[exit][usage]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    Process svinit =
        harness.start_raw({"--event-loop=" + backend, "--kill-grace", "soon", "--", "true"});
    const int status = svinit.wait(10s);
    CHECK(status == 2);
    CHECK_FALSE(svinit.stderr_text().empty());
}

TEST_CASE("the event loop can be named in the argument after the flag", "[exit][usage]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    Process svinit = harness.start_raw({"--event-loop", backend, "--", "sh", "-c", "exit 4"});
    const int status = svinit.wait(10s);
    CHECK(status == 4);
}

TEST_CASE("version and help exit 0 and print something", "[exit][usage]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    for (const std::string flag : {"--version", "--help"}) {
        INFO("svinit " << flag);
        Process svinit = harness.start_raw({"--event-loop=" + backend, flag});
        const int status = svinit.wait(10s);
        CHECK(status == 0);
        std::string output;
        while (std::optional<std::string> line = svinit.read_line(0ms)) output += *line;
        output += svinit.stderr_text();
        CHECK_FALSE(output.empty());
    }
}

TEST_CASE("without the sweep svinit still exits with the command's status", "[exit][sweep]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    // The leftover ignores SIGTERM: a sweep would hold svinit for the whole 30 s grace.
    Process svinit = harness.start({"--kill-grace", "30", "--no-kill-all-on-exit"},
                                   {"sh", "-c", "\"$0\" && exit 5", helper("ignoreterm")});
    expect_line(svinit, "ready");
    const int status = svinit.wait(10s);
    CHECK(status == 5);
}

TEST_CASE("the command's status is never lost in a storm of orphans", "[exit][reaping]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    // The command exits while 2000 orphans are being reparented to svinit; a reaper that
    // collects whatever exited could take the command's status with them.
    for (int attempt = 1; attempt <= 5; ++attempt) {
        INFO("attempt " << attempt);
        Process svinit = harness.start({}, {helper("storm"), "2000", "42"});
        const int status = svinit.wait(30s);
        CHECK(status == 42);
    }
}
