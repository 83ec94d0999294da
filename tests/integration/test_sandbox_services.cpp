// TOML services with [services.NAME.sandbox]: started through the sandbox spawn path and
// supervised like any service, as root with real namespaces, on both loop backends, in the
// busybox root filesystem the sandbox tests build. Services report on the event FIFO,
// bound into the sandbox; the tests wait on it and on svctl wait.

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

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

namespace {

// cgroupfs takes writes in place (write_file's rename would need a new file there).
void write_cgroup(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text << std::flush;
    REQUIRE(out.good());
}

// A process held in the kernel, as one in D state would be: a cgroup v1 freezer keeps a
// frozen task from dying, even of SIGKILL, until it is thawed (v2's freezer does not).
class FrozenProcess {
public:
    explicit FrozenProcess(pid_t pid)
        : dir_("/sys/fs/cgroup/freezer/svinit-test-frozen-" + std::to_string(::getpid())),
          pid_(pid) {
        REQUIRE((::mkdir(dir_.c_str(), 0755) == 0 || errno == EEXIST));
        write_cgroup(dir_ + "/cgroup.procs", std::to_string(pid_));
        write_cgroup(dir_ + "/freezer.state", "FROZEN");
        // The freezer has no event to wait on: its state is read until it settles.
        for (int i = 0; i < 5000 && state() != "FROZEN"; ++i) ::usleep(1000);
        REQUIRE(state() == "FROZEN");
    }
    FrozenProcess(const FrozenProcess&) = delete;
    FrozenProcess& operator=(const FrozenProcess&) = delete;
    ~FrozenProcess() {
        thaw();
        ::rmdir(dir_.c_str());
    }
    void thaw() {
        if (thawed_) return;
        thawed_ = true;
        std::ofstream(dir_ + "/freezer.state") << "THAWED";
        // Out of it, so the directory can go even before the process has died.
        std::ofstream("/sys/fs/cgroup/freezer/cgroup.procs") << pid_;
    }

private:
    std::string state() const {
        std::ifstream in(dir_ + "/freezer.state");
        std::string word;
        in >> word;
        return word;
    }

    std::string dir_;
    pid_t pid_;
    bool thawed_ = false;
};

}  // namespace

TEST_CASE("sandboxed TOML service: a cgroup that never empties ends the run after the stop "
          "timeout, and the next start waits for it",
          "[sandbox][toml]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    if (::access("/sys/fs/cgroup/freezer/cgroup.procs", W_OK) != 0) {
        skip("no cgroup v1 freezer to hold a process in the kernel");
    }
    SandboxWorld world(backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string fifo_name = fifo.substr(fifo.rfind('/') + 1);
    const std::string marker = "200" + std::to_string(::getpid() % 1000) + std::to_string(backend.size());
    const std::string config = s.dir() + "/svinit.toml";
    // No PID namespace: with one, the kernel holds the init's own exit until every process
    // in the namespace is gone.
    write_file(config,
               "[services.stuck]\n"
               "command = [\"/bin/sh\", \"-c\", 'echo stuck > /ev/" + fifo_name +
                   "; exec sleep " + marker + "']\n"
               "[services.stuck.stop]\n"
               "timeout = \"1s\"\n"
               "[services.stuck.restart]\n"
               "backoff = { initial = \"10ms\", max = \"100ms\" }\n"
               "start-limit = { burst = 1000, interval = \"1s\" }\n"
               "[services.stuck.sandbox]\n"
               "namespaces = [\"mount\"]\n"
               "root = \"" + world.root() + "\"\n"
               "binds = [{ source = \"" + s.dir() + "\", target = \"/ev\" }]\n");
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());

    CHECK(s.next_event() == "stuck");
    s.svctl_ok({"wait", "up", "stuck", "--timeout", "10"});
    const auto sleeping = processes_running({"sleep", marker});
    REQUIRE(sleeping.size() == 1);
    FrozenProcess frozen(sleeping[0]);

    // TERM, KILL after 1 s (cgroup.kill), then 1 s more for the cgroup: the run has ended.
    s.svctl_ok({"down", "stuck"});
    s.svctl_ok({"wait", "down", "stuck", "--timeout", "10"});
    CHECK(s.status("stuck")["state"] == "down");
    CHECK_THAT(s.log(), Catch::Contains("stuck: processes still in ") &&
                            Catch::Contains("/svinit-sandbox-stuck 1s after cgroup.kill"));
    CHECK(processes_running({"sleep", marker}).size() == 1);

    // Up while the frozen process is still there: refused, and said why.
    s.svctl_ok({"up", "stuck"});
    CHECK_THAT(s.status("stuck")["reason"].get<std::string>(),
               Catch::Contains("/svinit-sandbox-stuck still has processes after cgroup.kill"));

    // Once it dies, a retry after the backoff starts it again.
    frozen.thaw();
    CHECK(s.next_event() == "stuck");
    s.svctl_ok({"wait", "up", "stuck", "--timeout", "10"});
    CHECK(s.stop() == 0);
}
