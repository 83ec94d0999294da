// The [sandbox] table: what each key sets, and the error every wrong value gets at its line
// and column. Through a service ([services.NAME.sandbox]) and through the file of
// `svinit run --sandbox FILE`.

#include <sched.h>
#include <sys/capability.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/sandbox_values.h"
#include "config/toml_sandbox.h"
#include "toml_fixture.h"

using namespace svinit;
using namespace svinit::sandbox;
using svinit::test::TomlFixture;
using Strings = std::vector<std::string>;

namespace {

std::string service(std::string_view sandbox_lines) {
    return std::string("[services.job]\ncommand = [\"/bin/sh\"]\n[services.job.sandbox]\n") +
           std::string(sandbox_lines);
}

}  // namespace

TEST_CASE("the issue's [sandbox] example loads as written", "[config][sandbox]") {
    TomlFixture f;
    const auto spec = f.service_of(R"([services.job]
command = ["/bin/sh", "-c", "exec worker"]

[services.job.sandbox]
namespaces = ["pid", "mount", "uts", "ipc", "net"]
hostname = "job"
root = "/srv/job/root"
binds = [{ source = "/srv/data", target = "/data", read-only = true }]
masked-paths = ["/secret"]
no-new-privileges = true
capabilities = []                  # the set kept; empty = drop all
seccomp = "default"
memory-max = "256M"
pids-max = 64
)");
    REQUIRE(spec.sandbox);
    const SandboxSpec& s = *spec.sandbox;
    CHECK(s.namespaces == std::vector<Namespace>{Namespace::Pid, Namespace::Mount, Namespace::Uts,
                                                 Namespace::Ipc, Namespace::Net});
    CHECK(s.hostname == "job");
    CHECK(s.root == "/srv/job/root");
    CHECK(s.binds == std::vector<Bind>{{"/srv/data", "/data", true, true}});
    CHECK(s.masked_paths.back() == "/secret");
    CHECK(s.masked_paths.size() == default_masked_paths().size() + 1);
    CHECK(s.readonly_paths == default_readonly_paths());
    CHECK(s.no_new_privileges);
    CHECK(s.capabilities == Capabilities{});
    CHECK(s.seccomp == SeccompSpec{});
    CHECK(s.limits.memory_max == 256u << 20);
    CHECK(s.limits.pids_max == 64u);
    CHECK_FALSE(s.limits.cpu_max);
}

TEST_CASE("a service without [sandbox] has none; an empty one needs a root", "[config][sandbox]") {
    TomlFixture f;
    CHECK_FALSE(f.service_of("[services.job]\ncommand = [\"/bin/true\"]\n").sandbox);
    CHECK(f.error_of(service("")) ==
          "svinit.toml:3:1: services.job.sandbox: missing key \"root\" (the directory the worker "
          "sees as /)");
}

TEST_CASE(
    "[sandbox] defaults: every namespace but user, runc's paths, no capabilities, "
    "the default seccomp list",
    "[config][sandbox]") {
    TomlFixture f;
    const auto spec = f.service_of(service("root = \"/srv/root\"\n"));
    REQUIRE(spec.sandbox);
    const SandboxSpec& s = *spec.sandbox;
    CHECK(s.namespaces == default_namespaces());
    CHECK_FALSE(s.has(Namespace::User));
    CHECK(s.proc);
    CHECK(s.dev);
    CHECK_FALSE(s.read_only_root);
    CHECK(s.masked_paths == default_masked_paths());
    CHECK(s.seccomp.mode == SeccompMode::DenyList);
    CHECK(s.seccomp.default_list);
    CHECK_FALSE(s.seccomp.allow_io_uring);
    CHECK(s.seccomp.errno_value == EPERM);
    CHECK_FALSE(s.limits.any());
}

TEST_CASE("[sandbox] every key", "[config][sandbox]") {
    TomlFixture f;
    const auto spec = f.service_of(service(R"(namespaces = ["user", "pid", "mount"]
uid-map = [{ inside = 0, outside = 100000, count = 65536 }]
gid-map = [{ inside = 0, outside = 100000 }]
root = "rootfs"
read-only-root = true
binds = ["/etc/ssl", { source = "data", target = "/data", recursive = false }]
tmpfs = ["/tmp", { target = "/run", size = "16M", mode = "755" }]
proc = false
dev = false
default-paths = false
readonly-paths = ["/etc"]
user = "www"
group = 33
no-new-privileges = false
capabilities = { bounding = ["NET_BIND_SERVICE", "cap_chown"], permitted = ["CAP_NET_BIND_SERVICE"], effective = ["CAP_NET_BIND_SERVICE"] }
seccomp = { deny = ["ptrace", "personality"], errno = "ENOSYS", default-list = false }
memory-max = "1G"
pids-max = 100
cpu-max = "50000 100000"
cpu-weight = 200
)"));
    REQUIRE(spec.sandbox);
    const SandboxSpec& s = *spec.sandbox;
    CHECK(s.namespaces ==
          std::vector<Namespace>{Namespace::Pid, Namespace::Mount, Namespace::User});
    CHECK(s.uid_map == std::vector<IdMap>{{0, 100000, 65536}});
    CHECK(s.gid_map == std::vector<IdMap>{{0, 100000, 1}});
    CHECK(s.root == (f.tmp.path / "rootfs").string());
    CHECK(s.read_only_root);
    CHECK(s.binds == std::vector<Bind>{{"/etc/ssl", "/etc/ssl", false, true},
                                       {(f.tmp.path / "data").string(), "/data", false, false}});
    CHECK(s.tmpfs == std::vector<Tmpfs>{{"/tmp", std::nullopt, 01777}, {"/run", 16u << 20, 0755}});
    CHECK_FALSE(s.proc);
    CHECK_FALSE(s.dev);
    CHECK(s.masked_paths.empty());
    CHECK(s.readonly_paths == Strings{"/etc"});
    CHECK(s.user == "www");
    CHECK(s.group == "33");
    CHECK_FALSE(s.no_new_privileges);
    CHECK(s.capabilities.bounding == CapSet{CAP_CHOWN, CAP_NET_BIND_SERVICE});
    CHECK(s.capabilities.permitted == CapSet{CAP_NET_BIND_SERVICE});
    CHECK(s.capabilities.ambient.empty());
    CHECK(s.seccomp.mode == SeccompMode::DenyList);
    CHECK_FALSE(s.seccomp.default_list);
    CHECK(s.seccomp.syscalls == Strings{"personality", "ptrace"});
    CHECK(s.seccomp.errno_value == ENOSYS);
    CHECK(s.limits.memory_max == 1u << 30);
    CHECK(s.limits.pids_max == 100u);
    CHECK(s.limits.cpu_max == CpuMax{50000, 100000});
    CHECK(s.limits.cpu_weight == 200u);
}

TEST_CASE("[sandbox] seccomp forms", "[config][sandbox]") {
    TomlFixture f;
    auto seccomp_of = [&](std::string_view line) {
        const auto spec = f.service_of(service("root = \"/r\"\n" + std::string(line) + "\n"));
        REQUIRE(spec.sandbox);
        return spec.sandbox->seccomp;
    };
    CHECK(seccomp_of("seccomp = \"none\"").mode == SeccompMode::Off);
    const auto allow = seccomp_of(
        "seccomp = { allow = [\"read\", \"execve\", \"exit_group\"], "
        "errno = 38 }");
    CHECK(allow.mode == SeccompMode::AllowList);
    CHECK(allow.syscalls == Strings{"execve", "exit_group", "read"});
    CHECK(allow.errno_value == ENOSYS);
    CHECK(seccomp_of("seccomp = { io-uring = true }").allow_io_uring);
    CHECK(seccomp_of("capabilities = [\"CAP_KILL\", \"kill\"]").mode == SeccompMode::DenyList);
}

TEST_CASE("[sandbox] capabilities = [...] keeps the set in all five", "[config][sandbox]") {
    TomlFixture f;
    const auto spec =
        f.service_of(service("root = \"/r\"\ncapabilities = [\"CAP_KILL\", \"kill\", "
                             "\"net_raw\"]\n"));
    REQUIRE(spec.sandbox);
    CHECK(spec.sandbox->capabilities == Capabilities::keep({CAP_KILL, CAP_NET_RAW}));
    CHECK(spec.sandbox->capabilities.ambient == CapSet{CAP_KILL, CAP_NET_RAW});
}

TEST_CASE("[sandbox] every error, at once, at its value", "[config][sandbox]") {
    TomlFixture f;
    const auto errors = f.errors_of(service(R"(namespaces = ["pid", "mnt", "pid"]
hostname = "bad name!"
root = "/r"
binds = [{ target = "/x" }, { source = "/a", target = "rel" }, 5]
tmpfs = [{ target = "/t", size = "12Q" }]
masked-paths = ["relative"]
capabilities = ["CAP_NET_BIND_SERVIC"]
seccomp = { deny = ["no_such_call"], errno = "EWHAT" }
memory-max = "lots"
pids-max = 0
cpu-max = "fast"
cpu-weight = 20000
uid-map = [{ inside = 0 }]
rootless = true
)"));
    const Strings expected{
        "svinit.toml:4:22: services.job.sandbox.namespaces[1]: unknown namespace \"mnt\" (pid, "
        "mount, uts, ipc, net, cgroup, user)",
        "svinit.toml:4:29: services.job.sandbox.namespaces[2]: \"pid\" given twice",
        "svinit.toml:5:12: services.job.sandbox.hostname: expected 1 to 64 letters, digits, '-' "
        "and '.'",
        "svinit.toml:16:12: services.job.sandbox.uid-map[0]: needs inside and outside (and count, "
        "default 1)",
        "svinit.toml:7:10: services.job.sandbox.binds[0]: needs source (a host path)",
        "svinit.toml:7:55: services.job.sandbox.binds[1].target: must be an absolute path inside "
        "the root, without \"..\"",
        "svinit.toml:7:64: services.job.sandbox.binds[2]: expected { source = \"/srv/data\", "
        "target = \"/data\", read-only = true } or a path, got integer 5",
        "svinit.toml:8:34: services.job.sandbox.tmpfs[0].size: \"12Q\": unknown unit \"Q\" (use "
        "K, M, G or T)",
        "svinit.toml:9:17: services.job.sandbox.masked-paths[0]: must be an absolute path inside "
        "the root, without \"..\"",
        "svinit.toml:10:17: services.job.sandbox.capabilities[0]: unknown capability "
        "\"CAP_NET_BIND_SERVIC\"; did you mean \"CAP_NET_BIND_SERVICE\"?",
        "svinit.toml:11:21: services.job.sandbox.seccomp.deny[0]: \"no_such_call\" is not a "
        "system call of this architecture",
        "svinit.toml:11:46: services.job.sandbox.seccomp.errno: \"EWHAT\": not an errno name "
        "(EPERM, ENOSYS, EACCES, ...)",
        "svinit.toml:12:14: services.job.sandbox.memory-max: \"lots\": expected a size such as "
        "\"256M\", \"1G\" or \"65536\"",
        "svinit.toml:13:12: services.job.sandbox.pids-max: expected an integer from 1 to 4194304, "
        "got 0",
        "svinit.toml:14:11: services.job.sandbox.cpu-max: \"fast\": expected \"QUOTA PERIOD\" in "
        "microseconds (\"50000 100000\") or a number of CPUs (\"0.5\")",
        "svinit.toml:15:14: services.job.sandbox.cpu-weight: expected an integer from 1 to 10000, "
        "got 20000",
        "svinit.toml:17:1: services.job.sandbox.rootless: unknown key",
        "svinit.toml:4:14: services.job.sandbox.namespaces: a sandbox needs \"mount\" (its root "
        "is a mount)",
    };
    CHECK(errors == expected);
}

TEST_CASE("[sandbox] rules between keys", "[config][sandbox]") {
    TomlFixture f;
    CHECK(f.error_of(
              service("root = \"/r\"\nnamespaces = [\"pid\", \"mount\"]\nhostname = \"x\"\n")) ==
          "svinit.toml:6:12: services.job.sandbox.hostname: needs \"uts\" in namespaces");
    CHECK(f.error_of(service("root = \"/r\"\nuid-map = [{ inside = 0, outside = 1000 }]\n")) ==
          "svinit.toml:5:11: services.job.sandbox.uid-map: need \"user\" in namespaces");
    CHECK(f.error_of(service("root = \"/r\"\nnamespaces = [\"pid\"]\n")) ==
          "svinit.toml:5:14: services.job.sandbox.namespaces: a sandbox needs \"mount\" (its root "
          "is a mount)");
    CHECK(f.error_of(service("root = \"/r\"\ncapabilities = { ambient = [\"CAP_KILL\"] }\n")) ==
          "svinit.toml:5:16: services.job.sandbox.capabilities: ambient: must be within permitted "
          "and inheritable");
    CHECK(f.error_of(service("root = \"/r\"\nseccomp = { allow = [\"read\"] }\n")) ==
          "svinit.toml:5:21: services.job.sandbox.seccomp.allow: must include \"execve\": the "
          "worker is started by it, after the filter is in place");
    CHECK(f.error_of(
              service("root = \"/r\"\nseccomp = { allow = [\"execve\"], deny = [\"read\"] }\n")) ==
          "svinit.toml:5:21: services.job.sandbox.seccomp.allow: give deny (everything else "
          "allowed) or allow (everything else refused), not both");
    CHECK(f.error_of(service("root = \"/r\"\nseccomp = \"strict\"\n")) ==
          "svinit.toml:5:11: services.job.sandbox.seccomp: expected one of default, none, got "
          "\"strict\"");
    CHECK(f.error_of(service("root = \"/r\"\nuser = \"\"\n")) ==
          "svinit.toml:5:8: services.job.sandbox.user: must not be empty");
}

TEST_CASE("a sandbox file: the keys at its top or in [sandbox]", "[config][sandbox]") {
    TomlFixture f;
    f.write("job.toml", "namespaces = [\"mount\", \"uts\"]\nhostname = \"job\"\nroot = \"root\"\n");
    auto top = config::load_sandbox_file(f.file("job.toml"));
    REQUIRE(top.spec);
    CHECK(top.spec->hostname == "job");
    CHECK(top.spec->root == (f.tmp.path / "root").string());

    f.write("table.toml", "[sandbox]\nroot = \"/srv/root\"\npids-max = 5\n");
    auto table = config::load_sandbox_file(f.file("table.toml"));
    REQUIRE(table.spec);
    CHECK(table.spec->limits.pids_max == 5u);

    f.write("bad.toml", "root = \"/r\"\nhostnme = \"x\"\n");
    auto bad = config::load_sandbox_file(f.file("bad.toml"));
    CHECK_FALSE(bad.spec);
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].describe() ==
          f.file("bad.toml").string() + ":2:1: hostnme: unknown key; did you mean \"hostname\"?");

    auto missing = config::load_sandbox_file(f.file("missing.toml"));
    CHECK_FALSE(missing.spec);
    REQUIRE(missing.errors.size() == 1);
}

TEST_CASE("sizes, cpu-max and errno names", "[config][sandbox]") {
    CHECK(config::parse_size("256M") == 256u << 20);
    CHECK(config::parse_size("1g") == 1u << 30);
    CHECK(config::parse_size("65536") == 65536u);
    CHECK(config::parse_size("2T") == std::uint64_t{2} << 40);
    CHECK_FALSE(config::parse_size("M"));
    CHECK_FALSE(config::parse_size("1MB"));
    CHECK_FALSE(config::parse_size("99999999999T"));
    CHECK(config::parse_cpu_max("50000 100000") == CpuMax{50000, 100000});
    CHECK(config::parse_cpu_max("0.5") == CpuMax{50000, 100000});
    CHECK(config::parse_cpu_max("2") == CpuMax{200000, 100000});
    CHECK_FALSE(config::parse_cpu_max("10 100000"));
    CHECK_FALSE(config::parse_cpu_max("50000 0"));
    CHECK_FALSE(config::parse_cpu_max("0"));
    CHECK(config::errno_from_name("EPERM") == EPERM);
    CHECK(config::errno_from_name("ENOSYS") == ENOSYS);
    CHECK_FALSE(config::errno_from_name("eperm"));
}

TEST_CASE("readiness type fd with [sandbox] is refused: the pipe would not get in",
          "[config][sandbox]") {
    TomlFixture f;
    const std::string text =
        "[services.job]\ncommand = [\"/bin/true\"]\n[services.job.readiness]\ntype = \"fd\"\n"
        "[services.job.sandbox]\nroot = \"/\"\n";
    CHECK_THAT(f.error_of(text),
               Catch::EndsWith("services.job.readiness.type: type = \"fd\" does not work with "
                               "[sandbox] yet: use \"notify\", \"exec\" or \"tcp\""));
}
