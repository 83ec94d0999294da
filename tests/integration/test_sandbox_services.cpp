// TOML services with [services.NAME.sandbox]: started through the sandbox spawn path and
// supervised like any service, as root with real namespaces, on both loop backends, in the
// busybox root filesystem the sandbox tests build. Services report on the event FIFO,
// bound into the sandbox; the tests wait on it and on svctl wait.

#include <dirent.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "support/procfs.h"
#include "support/sandbox.h"
#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// The live processes whose argv is exactly `words`.
std::vector<pid_t> processes_running(const std::vector<std::string>& words) {
    std::string argv;
    for (const auto& word : words) argv += word + std::string(1, '\0');
    std::vector<pid_t> found;
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return found;
    while (const dirent* entry = ::readdir(proc)) {
        const pid_t pid = static_cast<pid_t>(std::atoi(entry->d_name));
        if (pid <= 0) continue;
        std::ifstream in("/proc/" + std::string(entry->d_name) + "/cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto state = process_state(pid);
        if (cmdline == argv && state && *state != 'Z') found.push_back(pid);
    }
    ::closedir(proc);
    return found;
}

}  // namespace

TEST_CASE("sandboxed TOML service: runs with its hostname, and down ends its whole tree",
          "[sandbox][toml]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string fifo_name = fifo.substr(fifo.rfind('/') + 1);
    // A daemon of the worker's own, left running in the background: down must end it too.
    const std::string marker = "100" + std::to_string(::getpid() % 1000) + std::to_string(backend.size());
    const std::string config = s.dir() + "/svinit.toml";
    write_file(config,
               "[services.box]\n"
               "command = [\"/bin/sh\", \"-c\", 'sleep " + marker +
                   " & echo \"box $(hostname) $$\" > /ev/" + fifo_name + "; wait']\n"
               "[services.box.sandbox]\n"
               "namespaces = [\"pid\", \"mount\", \"uts\"]\n"
               "hostname = \"boxhost\"\n"
               "root = \"" + world.root() + "\"\n"
               "binds = [{ source = \"" + s.dir() + "\", target = \"/ev\" }]\n");
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());

    // PID 2 in its own PID namespace: the sandbox's init is 1.
    CHECK(s.next_event() == "box boxhost 2");
    s.svctl_ok({"wait", "up", "box", "--timeout", "10"});
    CHECK(s.status("box")["state"] == "run");
    CHECK(s.pid("box") > 0);
    // The sandbox's cgroup: its init, the shell and the sleep.
    CHECK_THAT(s.status("box")["usage"].get<std::string>(), Catch::Contains("3 procs"));
    CHECK(processes_running({"sleep", marker}).size() == 1);

    s.svctl_ok({"down", "box"});
    s.svctl_ok({"wait", "down", "box", "--timeout", "10"});
    CHECK(s.status("box")["state"] == "down");
    CHECK(processes_running({"sleep", marker}).empty());

    // Up again: the cgroup's name is free once the last run's tree is gone.
    s.svctl_ok({"up", "box"});
    CHECK(s.next_event() == "box boxhost 2");
    CHECK(s.stop() == 0);
    CHECK(processes_running({"sleep", marker}).empty());
}

TEST_CASE("sandboxed TOML service: a setup failure backs off and is reported in status",
          "[sandbox][toml]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string config = s.dir() + "/svinit.toml";
    write_file(config,
               "[services.broken]\n"
               "command = [\"/bin/sh\", \"-c\", \"true\"]\n"
               "[services.broken.restart]\n"
               "backoff = { initial = \"1ms\", max = \"5ms\" }\n"
               "start-limit = { burst = 3, interval = \"1h\" }\n"
               "[services.broken.sandbox]\n"
               "namespaces = [\"pid\", \"mount\"]\n"
               "root = \"/nonexistent-root\"\n");
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());

    // Three setups failed, each after a backoff; then the start limit holds it.
    s.svctl_ok({"wait", "down", "broken", "--timeout", "10"});
    const auto status = s.status("broken");
    CHECK(status["state"] == "failed");
    const std::string reason = status["reason"].get<std::string>();
    CHECK_THAT(reason, Catch::Contains("start limit hit: 3 starts"));
    CHECK_THAT(reason, Catch::Contains("sandbox setup failed at bind(/nonexistent-root): No such "
                                       "file or directory"));
    const CommandResult text = s.svctl({"status", "broken"});
    CHECK_THAT(text.lines.at(0), Catch::Contains("sandbox setup failed at bind(/nonexistent-root)"));
    CHECK(s.stop() == 0);
}
