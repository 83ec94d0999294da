// The sandbox layer's pure parts: the spec's rules, the setup plan's order, the cgroup host
// discovery, id map text (the passwd and group parsing: test_user_db.cpp).

#include <sys/mount.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "sandbox/cgroup.h"
#include "sandbox/sandbox_spawn.h"
#include "sandbox/sandbox_spec.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/setup_plan.h"

using namespace svinit::sandbox;
using Strings = std::vector<std::string>;

namespace {

SandboxSpec valid() {
    SandboxSpec spec;
    spec.namespaces = default_namespaces();
    spec.root = "/srv/root";
    return spec;
}

Strings details(const std::vector<Step>& steps) {
    Strings out;
    for (const Step& step : steps) {
        if (step.kind != StepKind::MakeDirs && step.kind != StepKind::MakeFile) {
            out.push_back(step.detail);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("sandbox spec: a valid spec has no problems; each rule names its key", "[sandbox]") {
    CHECK(check(valid()).empty());
    SandboxSpec spec = valid();
    spec.namespaces = {Namespace::Pid};
    spec.hostname = "x";
    spec.uid_map = {{0, 1000, 10}, {5, 2000, 1}};
    spec.root = "relative";
    spec.binds = {{"/a", "b"}};
    spec.capabilities.ambient = {1};
    spec.limits.cpu_weight = 0;
    CHECK(check(spec) == Strings{
                             "hostname: needs \"uts\" in namespaces",
                             "uid-map, gid-map: need \"user\" in namespaces",
                             "uid-map[1]: overlaps uid-map[0]",
                             "namespaces: a sandbox needs \"mount\" (its root is a mount)",
                             "root: \"relative\" is not an absolute path",
                             "binds.target: \"b\" is not an absolute path",
                             "capabilities.ambient: must be within permitted and inheritable",
                             "cpu-weight: must be from 1 to 10000",
                         });
}

TEST_CASE("sandbox spec: names, flags and sizes", "[sandbox]") {
    CHECK(namespace_from_string("net") == Namespace::Net);
    CHECK_FALSE(namespace_from_string("network"));
    CHECK(to_string(Namespace::Mount) == "mount");
    CHECK(proc_ns_name(Namespace::Mount) == "mnt");
    CHECK(clone_flag(Namespace::User) == CLONE_NEWUSER);
    CHECK(format_size(256u << 20) == "256M");
    CHECK(format_size(1u << 30) == "1G");
    CHECK(format_size(1536u << 10) == "1536K");
    CHECK(format_size(17) == "17");
    CHECK(Capabilities::keep({3, 1, 3}) == Capabilities{{1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}});
    CHECK(map_text({{0, 1000, 1}, {1, 100000, 65536}}) == "0 1000 1\n1 100000 65536\n");
    CHECK(cpu_weight_to_shares(1) == 2);
    CHECK(cpu_weight_to_shares(10000) == 262144);
    CHECK(cpu_weight_to_shares(100) == 2597);
}

TEST_CASE("setup plan: runc's order, ending in pivot_root, hostname, lo, the directory",
          "[sandbox]") {
    SandboxSpec spec = valid();
    spec.hostname = "job";
    spec.binds = {{"/srv/data", "/data", true, true}, {"/etc/resolv.conf", "/etc/resolv.conf"}};
    spec.tmpfs = {{"/tmp", 1u << 20, 01777}};
    spec.masked_paths = {"/secret"};
    spec.readonly_paths = {"/proc/sys"};
    spec.read_only_root = true;
    PlanContext context;
    context.file_sources = {"/etc/resolv.conf"};
    context.cwd = "/work";
    const auto steps = plan_setup(spec, context);
    CHECK(details(steps) == Strings{
                                "mount propagation(/ private)",
                                "bind(/srv/root)",
                                "bind(/srv/data -> /data)",
                                "read-only(/data)",
                                "bind(/etc/resolv.conf -> /etc/resolv.conf)",
                                "tmpfs(/tmp)",
                                "proc(/proc)",
                                "tmpfs(/dev)",
                                "bind(/dev/null)",
                                "bind(/dev/zero)",
                                "bind(/dev/full)",
                                "bind(/dev/random)",
                                "bind(/dev/urandom)",
                                "bind(/dev/tty)",
                                "devpts(/dev/pts)",
                                "tmpfs(/dev/shm)",
                                "symlink(/dev/ptmx)",
                                "symlink(/dev/fd)",
                                "symlink(/dev/stdin)",
                                "symlink(/dev/stdout)",
                                "symlink(/dev/stderr)",
                                "readonly-path(/proc/sys)",
                                "masked-path(/secret)",
                                "read-only(/)",
                                "pivot_root(/srv/root)",
                                "sethostname(job)",
                                "loopback up(lo)",
                                "chdir(/work)",
                            });
    // Paths are the host's view before pivot_root; a file source gets a file to bind onto.
    const auto resolv = std::find_if(steps.begin(), steps.end(), [](const Step& s) {
        return s.path == "/srv/root/etc/resolv.conf";
    });
    REQUIRE(resolv != steps.end());
    CHECK(resolv->kind == StepKind::MakeFile);
    const auto tmp = std::find_if(steps.begin(), steps.end(),
                                  [](const Step& s) { return s.detail == "tmpfs(/tmp)"; });
    CHECK(tmp->path == "/srv/root/tmp");
    CHECK(tmp->data == "mode=1777,size=1048576");
    const auto pts = std::find_if(steps.begin(), steps.end(),
                                  [](const Step& s) { return s.detail == "devpts(/dev/pts)"; });
    CHECK(pts->data == "newinstance,ptmxmode=0666,mode=0620,gid=5");
}

TEST_CASE(
    "setup plan: without proc, dev, net or uts their steps are gone; the initramfs "
    "gets chroot",
    "[sandbox]") {
    SandboxSpec spec = valid();
    spec.namespaces = {Namespace::Mount, Namespace::User};
    spec.proc = false;
    spec.dev = false;
    spec.masked_paths.clear();
    spec.readonly_paths.clear();
    PlanContext context;
    context.chroot_instead_of_pivot = true;
    CHECK(details(plan_setup(spec, context)) == Strings{"mount propagation(/ private)",
                                                        "bind(/srv/root)", "chroot(/srv/root)",
                                                        "chdir(/)"});
}

TEST_CASE("setup plan: the initramfs is recognised from mountinfo", "[sandbox]") {
    CHECK(root_is_initramfs("1 1 0:2 / / rw - rootfs rootfs rw\n"));
    CHECK_FALSE(
        root_is_initramfs("1 1 0:2 / / rw - rootfs rootfs rw\n"
                          "20 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"));
    CHECK_FALSE(root_is_initramfs("25 1 0:23 / / rw shared:1 - overlay overlay rw\n"));
    CHECK(join_root("/srv/root/", "/data") == "/srv/root/data");
    CHECK(join_root("/srv/root", "/") == "/srv/root");
    CHECK(join_root("/", "/data") == "/data");
}

TEST_CASE("cgroups: svinit's own cgroup in each hierarchy, from mountinfo and /proc/self/cgroup",
          "[sandbox]") {
    const std::string mountinfo =
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    const std::string proc_cgroup =
        "9:name=systemd:/\n8:pids:/\n4:memory:/jobs/a\n1:cpu,cpuacct:/\n0::/svc\n";
    const CgroupHost host = parse_cgroup_host(mountinfo, proc_cgroup);
    CHECK(host.v2_dir == "/sys/fs/cgroup/unified/svc");
    CHECK(host.v1_dirs.at("memory") == "/sys/fs/cgroup/memory/jobs/a");
    CHECK(host.v1_dirs.at("pids") == "/sys/fs/cgroup/pids");
    CHECK(host.v1_dirs.at("cpu") == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK_FALSE(host.v1_dirs.contains("name=systemd"));

    // A pure v2 host in a container: the mount's root is the container's cgroup.
    const CgroupHost v2 = parse_cgroup_host(
        "30 20 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n", "0::/docker/abc/x\n");
    CHECK(v2.v2_dir == "/sys/fs/cgroup/x");
    CHECK(v2.v1_dirs.empty());
}

TEST_CASE("seccomp: names of this architecture; a filter builds from the default list",
          "[sandbox]") {
    CHECK(is_syscall_name("ptrace"));
    CHECK(is_syscall_name("io_uring_setup"));
    CHECK_FALSE(is_syscall_name("no_such_call"));
    auto filter = SeccompFilter::build(SeccompSpec{}, true);
    REQUIRE(filter);
    CHECK_FALSE(filter->empty());
    SeccompSpec off;
    off.mode = SeccompMode::Off;
    auto none = SeccompFilter::build(off, true);
    REQUIRE(none);
    CHECK(none->empty());
    SeccompSpec unknown;
    unknown.syscalls = {"no_such_call"};
    CHECK_FALSE(SeccompFilter::build(unknown, true));
}
