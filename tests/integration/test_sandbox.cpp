// svinit run --sandbox FILE -- CMD: one command in a sandbox of its own, as root with real
// namespaces, on both loop backends, in a root filesystem built from busybox-static.

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/procfs.h"
#include "support/sandbox.h"

using namespace svinit::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The test's own v2 cgroup directory, where svinit makes the sandbox's.
std::string own_v2_cgroup() {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("0::")) {
            std::string path = "/sys/fs/cgroup/unified" + line.substr(3);
            if (!fs::exists(path)) path = "/sys/fs/cgroup" + line.substr(3);
            while (path.size() > 1 && path.back() == '/') path.pop_back();
            return path;
        }
    }
    return {};
}

}  // namespace

TEST_CASE("sandbox: the worker runs with the configured hostname", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox());

    const Outcome outcome = world.run(file, {"/bin/sh", "-c", "hostname"});
    INFO(outcome.err);
    CHECK(outcome.out == "job\n");
    CHECK(outcome.status == 0);
}

TEST_CASE("sandbox: each requested namespace differs from svinit's, the others do not",
          "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox());
    const std::vector<std::string> names{"pid", "mnt", "uts", "ipc", "net", "cgroup", "user"};
    // busybox's readlink takes one file at a time.
    std::string script;
    for (const auto& name : names) script += "readlink /proc/self/ns/" + name + "; ";

    const Outcome outcome = world.run(file, {"/bin/sh", "-c", script});
    INFO(outcome.err);
    REQUIRE(outcome.status == 0);
    const auto inside = lines_of(outcome.out);
    REQUIRE(inside.size() == names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
        INFO("namespace " << names[i]);
        const std::string mine = fs::read_symlink("/proc/self/ns/" + names[i]).string();
        if (names[i] == "user") {
            CHECK(inside[i] == mine);  // not requested
        } else {
            CHECK(inside[i] != mine);
        }
    }
}

TEST_CASE("sandbox: the worker sees only the sandbox's processes", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox());

    const Outcome outcome = world.run(file, {"/bin/sh", "-c", "ls /proc"});
    INFO(outcome.err << outcome.out);
    REQUIRE(outcome.status == 0);
    std::set<int> pids;
    for (const auto& entry : lines_of(outcome.out)) {
        if (!entry.empty() && std::isdigit(static_cast<unsigned char>(entry[0]))) {
            pids.insert(std::stoi(entry));
        }
    }
    // The init (1), the shell (2) and ls (3, unless the shell exec'd it).
    CHECK(pids.contains(1));
    CHECK(*pids.rbegin() <= 3);
}

TEST_CASE("sandbox: a new network namespace has only lo, and it is up", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox());

    const Outcome outcome =
        world.run(file, {"/bin/sh", "-c", "tail -n +3 /proc/net/dev; echo --; ifconfig"});
    INFO(outcome.err << outcome.out);
    REQUIRE(outcome.status == 0);
    const auto lines = lines_of(outcome.out);
    REQUIRE(lines.size() >= 2);
    CHECK(lines[0].find("lo:") != std::string::npos);
    CHECK(lines[1] == "--");  // no other interface
    REQUIRE(lines.size() >= 3);
    CHECK(lines[2].starts_with("lo"));  // ifconfig lists interfaces that are up
}

TEST_CASE("sandbox: the root is the given directory and the host's files are invisible",
          "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    world.write("root/marker", "in the root\n");
    world.write("host-secret", "the host's\n");
    const auto file = world.write("job.toml", basic_sandbox());
    const std::string host_path = world.dir() + "/host-secret";

    const Outcome outcome =
        world.run(file, {"/bin/sh", "-c",
                         "cat /marker; test -e " + host_path +
                             " && echo visible || echo invisible; "
                             "test -e /etc/hostname && echo host-etc || echo own-etc"});
    INFO(outcome.err);
    CHECK(outcome.out == "in the root\ninvisible\nown-etc\n");
    CHECK(outcome.status == 0);
}

TEST_CASE("sandbox: a read-only bind refuses writes, a writable one takes them", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    fs::create_directories(world.dir() + "/ro");
    fs::create_directories(world.dir() + "/rw");
    const auto file = world.write(
        "job.toml", basic_sandbox("binds = [{ source = \"ro\", target = \"/data\", read-only = "
                                  "true }, { source = \"rw\", target = \"/rw\" }]\n"));

    const Outcome outcome =
        world.run(file, {"/bin/sh", "-c", "echo no > /data/f; echo yes > /rw/f; echo done"});
    INFO(outcome.err);
    CHECK(outcome.out == "done\n");
    CHECK(outcome.err.find("/data/f: Read-only file system") != std::string::npos);
    CHECK_FALSE(fs::exists(world.dir() + "/ro/f"));
    std::ifstream written(world.dir() + "/rw/f");
    std::string text;
    std::getline(written, text);
    CHECK(text == "yes");
}

TEST_CASE("sandbox: masked paths read empty", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    world.write("root/secret", "top secret\n");
    fs::create_directories(world.root() + "/private");
    world.write("root/private/key", "key\n");
    const auto file =
        world.write("job.toml", basic_sandbox("masked-paths = [\"/secret\", \"/private\"]\n"));

    const Outcome outcome =
        world.run(file, {"/bin/sh", "-c",
                         "cat /secret; ls /private; echo end; cat /proc/kcore | wc -c; "
                         "echo x > /proc/sysrq-trigger || echo read-only"});
    INFO(outcome.err);
    CHECK(outcome.status == 0);
    const bool kcore = fs::exists("/proc/kcore");
    CHECK(outcome.out == std::string("end\n") + (kcore ? "0\n" : "0\n") + "read-only\n");
}

TEST_CASE("sandbox: no_new_privs is set and only the configured capabilities are kept",
          "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const std::string script = "grep -E '^(NoNewPrivs|CapEff|CapAmb):' /proc/self/status; id -u";

    SECTION("by default, none as root inside") {
        const auto file = world.write("job.toml", basic_sandbox());
        const Outcome outcome = world.run(file, {"/bin/sh", "-c", script});
        INFO(outcome.err);
        CHECK(outcome.out ==
              "CapEff:\t0000000000000000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n0\n");
    }
    SECTION("CAP_NET_BIND_SERVICE kept for nobody, through the ambient set") {
        const auto file = world.write(
            "job.toml",
            basic_sandbox("user = \"nobody\"\ncapabilities = [\"CAP_NET_BIND_SERVICE\"]\n"));
        const Outcome outcome = world.run(file, {"/bin/sh", "-c", script});
        INFO(outcome.err);
        CHECK(outcome.out ==
              "CapEff:\t0000000000000400\nCapAmb:\t0000000000000400\nNoNewPrivs:\t1\n65534\n");
    }
}

TEST_CASE("sandbox: seccomp refuses the denied system calls with the configured errno",
          "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const std::string script =
        "for c in getcwd unshare io_uring_setup uname; do sandbox_probe call $c; done";

    SECTION("the default list") {
        const auto file = world.write("job.toml", basic_sandbox("seccomp = \"default\"\n"));
        const Outcome outcome = world.run(file, {"/bin/sh", "-c", script});
        INFO(outcome.err);
        CHECK(outcome.out == "ok\nEPERM\nEPERM\nok\n");
    }
    SECTION("an extra denial with its own errno, io_uring allowed") {
        const auto file = world.write(
            "job.toml", basic_sandbox("seccomp = { deny = [\"getcwd\"], errno = \"EHOSTDOWN\", "
                                      "io-uring = true }\n"));
        const Outcome outcome = world.run(file, {"/bin/sh", "-c", script});
        INFO(outcome.err);
        CHECK(outcome.out == "EHOSTDOWN\nEHOSTDOWN\nEFAULT\nok\n");
    }
}

TEST_CASE("sandbox: zombies inside the sandbox are reaped by its init", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox());

    const Outcome outcome = world.run(file, {"sandbox_probe", "orphans", "5"});
    INFO(outcome.err);
    CHECK(outcome.out == "no zombies\n");
    CHECK(outcome.status == 0);
}

TEST_CASE("sandbox: the exit status is the worker's, 128+N for signal N", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox());

    CHECK(world.run(file, {"/bin/sh", "-c", "exit 7"}).status == 7);
    CHECK(world.run(file, {"/bin/sh", "-c", "kill -TERM $$"}).status == 128 + SIGTERM);
    const Outcome missing = world.run(file, {"/bin/no-such-program"});
    CHECK(missing.status == 127);
    CHECK(missing.err.find("exec: No such file or directory") != std::string::npos);
}

TEST_CASE("sandbox: a signal to svinit reaches the worker", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox());

    Process svinit = world.start(file, {"/bin/sh", "-c",
                                        "trap 'echo got USR1; exit 3' USR1; echo ready; "
                                        "while true; do sleep 1; done"});
    expect_line(svinit, "ready");
    ::kill(svinit.pid(), SIGUSR1);
    expect_line(svinit, "got USR1");
    CHECK(svinit.wait(30s) == 3);
}

TEST_CASE("sandbox: pids-max stops a fork bomb", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox("pids-max = 16\n"));

    // The init and the probe count too: at most 14 children fit.
    const Outcome outcome = world.run(file, {"sandbox_probe", "forks", "40"});
    INFO(outcome.err);
    const auto lines = lines_of(outcome.out);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] == "started 14");
    CHECK(lines[1] == "EAGAIN");
    CHECK(outcome.status == 0);
}

TEST_CASE("sandbox: cgroup.kill stops the whole tree when the worker is gone", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    // No PID namespace: nothing but the cgroup holds the daemons the worker leaves behind.
    const auto file = world.write(
        "job.toml", "namespaces = [\"mount\", \"uts\", \"ipc\", \"net\"]\nroot = \"root\"\n");
    const std::string name = "kill-test-" + std::to_string(::getpid()) + "-" + backend;

    const Outcome outcome =
        world.run(file, {"/bin/sh", "-c", "for i in 1 2 3; do setsid sleep 1000 & echo $!; done"},
                  {"--name", name});
    INFO(outcome.err);
    CHECK(outcome.status == 0);
    const auto pids = lines_of(outcome.out);
    REQUIRE(pids.size() == 3);
    for (const auto& text : pids) {
        const auto state = process_state(std::stoi(text));
        INFO("pid " << text);
        CHECK((!state || *state == 'Z'));
    }
    CHECK_FALSE(fs::exists(own_v2_cgroup() + "/svinit-sandbox-" + name));
}

TEST_CASE("sandbox: memory-max gets an OOM kill that svinit reports", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    const auto file = world.write("job.toml", basic_sandbox("memory-max = \"32M\"\n"));

    const Outcome outcome = world.run(file, {"sandbox_probe", "alloc", "256"});
    INFO(outcome.err);
    CHECK(outcome.out.find("survived") == std::string::npos);
    CHECK(outcome.status == 128 + SIGKILL);
    CHECK(outcome.err.find("killed by the OOM killer (memory-max 32M)") != std::string::npos);
}

TEST_CASE("sandbox: setup failures name their stage and errno", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);

    SECTION("a missing root") {
        const auto file = world.write(
            "job.toml", "namespaces = [\"pid\", \"mount\"]\nroot = \"/nonexistent-root\"\n");
        const Outcome outcome = world.run(file, {"/bin/sh", "-c", "true"});
        CHECK(outcome.status == 125);
        CHECK(outcome.err.find("sandbox setup failed at bind(/nonexistent-root): No such file or "
                               "directory") != std::string::npos);
    }
    SECTION("a bind source that does not exist") {
        const auto file = world.write(
            "job.toml",
            basic_sandbox("binds = [{ source = \"/nonexistent-src\", target = \"/data\" }]\n"));
        const Outcome outcome = world.run(file, {"/bin/sh", "-c", "true"});
        CHECK(outcome.status == 125);
        CHECK(outcome.err.find("sandbox setup failed at bind(/nonexistent-src -> /data): No such "
                               "file or directory") != std::string::npos);
    }
    SECTION("a uid map the kernel refuses") {
        const auto file =
            world.write("job.toml",
                        "namespaces = [\"user\", \"pid\", \"mount\"]\nroot = \"root\"\n"
                        "uid-map = [{ inside = 0, outside = 4294967290, count = 100 }]\n");
        const Outcome outcome = world.run(file, {"/bin/sh", "-c", "true"});
        CHECK(outcome.status == 125);
        CHECK(outcome.err.find("sandbox setup failed at uid_map(0 4294967290 100): Invalid "
                               "argument") != std::string::npos);
    }
}

TEST_CASE("sandbox: rootless, an ordinary user runs a sandbox in a user namespace", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    for (const char* knob :
         {"/proc/sys/kernel/unprivileged_userns_clone", "/proc/sys/user/max_user_namespaces"}) {
        std::ifstream in(knob);
        int value = 1;
        if (in >> value && value == 0)
            skip(std::string(knob) + " is 0: no unprivileged user namespaces");
    }
    const auto file =
        world.write("job.toml",
                    "namespaces = [\"user\", \"pid\", \"mount\", \"uts\", \"ipc\", \"net\"]\n"
                    "root = \"root\"\nhostname = \"job\"\n");

    const Outcome outcome =
        world.run(file, {"/bin/sh", "-c", "id -u; hostname; echo $$"}, {}, true);
    INFO(outcome.err);
    CHECK(outcome.out == "0\njob\n2\n");  // root inside, its own name, the shell after the init
    CHECK(outcome.status == 0);
}

TEST_CASE("sandbox: a limit that cannot be enforced is refused, never dropped", "[sandbox]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    SandboxWorld world(backend);
    // An ordinary user may not make a cgroup here, so pids-max has nowhere to go.
    const auto file = world.write(
        "job.toml", "namespaces = [\"user\", \"pid\", \"mount\"]\nroot = \"root\"\npids-max = 8\n");

    const Outcome outcome = world.run(file, {"/bin/sh", "-c", "echo ran"}, {}, true);
    INFO(outcome.err);
    CHECK(outcome.out.empty());
    CHECK(outcome.status == 125);
    CHECK(outcome.err.find("the limits need a cgroup of the sandbox's own; refusing to start "
                           "without them") != std::string::npos);
}
