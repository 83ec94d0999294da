#include "sandbox/sandbox_spec.h"

#include <fmt/format.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <utility>

namespace svinit::sandbox {

namespace {

struct NamespaceInfo {
    Namespace ns;
    std::string_view name;
    std::string_view proc_name;
    std::uint64_t flag;
};

constexpr std::array<NamespaceInfo, 7> kNamespaces{{
    {Namespace::Pid, "pid", "pid", CLONE_NEWPID},
    {Namespace::Mount, "mount", "mnt", CLONE_NEWNS},
    {Namespace::Uts, "uts", "uts", CLONE_NEWUTS},
    {Namespace::Ipc, "ipc", "ipc", CLONE_NEWIPC},
    {Namespace::Net, "net", "net", CLONE_NEWNET},
    {Namespace::Cgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
    {Namespace::User, "user", "user", CLONE_NEWUSER},
}};

const NamespaceInfo& info(Namespace ns) {
    return kNamespaces[static_cast<std::size_t>(ns)];
}

bool subset(const CapSet& inner, const CapSet& outer) {
    return std::ranges::includes(outer, inner);
}

void check_path(std::vector<std::string>& problems, std::string_view key, const std::string& path) {
    if (path.empty() || path.front() != '/') {
        problems.push_back(fmt::format("{}: \"{}\" is not an absolute path", key, path));
    }
}

void check_maps(std::vector<std::string>& problems, std::string_view key,
                const std::vector<IdMap>& maps) {
    if (maps.size() > 340) problems.push_back(fmt::format("{}: more than 340 lines", key));
    for (std::size_t i = 0; i < maps.size(); ++i) {
        const IdMap& a = maps[i];
        if (a.count == 0)
            problems.push_back(fmt::format("{}[{}]: count must be at least 1", key, i));
        for (std::size_t j = 0; j < i; ++j) {
            const IdMap& b = maps[j];
            const auto overlap = [](std::uint64_t x, std::uint64_t y, std::uint64_t n,
                                    std::uint64_t m) { return x < y + m && y < x + n; };
            if (overlap(a.inside, b.inside, a.count, b.count) ||
                overlap(a.outside, b.outside, a.count, b.count)) {
                problems.push_back(fmt::format("{}[{}]: overlaps {}[{}]", key, i, key, j));
            }
        }
    }
}

}  // namespace

std::string_view to_string(Namespace ns) noexcept {
    return info(ns).name;
}

std::optional<Namespace> namespace_from_string(std::string_view name) noexcept {
    for (const auto& entry : kNamespaces) {
        if (entry.name == name) return entry.ns;
    }
    return std::nullopt;
}

std::uint64_t clone_flag(Namespace ns) noexcept {
    return info(ns).flag;
}

std::string_view proc_ns_name(Namespace ns) noexcept {
    return info(ns).proc_name;
}

const std::vector<std::string>& default_masked_paths() {
    static const std::vector<std::string> paths{
        "/proc/acpi",
        "/proc/asound",
        "/proc/interrupts",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/sys/devices/virtual/powercap",
        "/sys/firmware",
    };
    return paths;
}

const std::vector<std::string>& default_readonly_paths() {
    static const std::vector<std::string> paths{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                "/proc/sysrq-trigger"};
    return paths;
}

const std::vector<std::string>& default_denied_syscalls() {
    // Names the running architecture lacks are skipped when the filter is built.
    static const std::vector<std::string> names{
        "acct",
        "add_key",
        "bpf",
        "clock_adjtime",
        "clock_settime",
        "create_module",
        "delete_module",
        "finit_module",
        "fsconfig",
        "fsmount",
        "fsopen",
        "fspick",
        "get_kernel_syms",
        "init_module",
        "ioperm",
        "iopl",
        "kcmp",
        "kexec_file_load",
        "kexec_load",
        "keyctl",
        "lookup_dcookie",
        "mount",
        "mount_setattr",
        "move_mount",
        "name_to_handle_at",
        "nfsservctl",
        "open_by_handle_at",
        "open_tree",
        "perf_event_open",
        "pivot_root",
        "process_vm_readv",
        "process_vm_writev",
        "ptrace",
        "query_module",
        "quotactl",
        "quotactl_fd",
        "reboot",
        "request_key",
        "setns",
        "settimeofday",
        "stime",
        "swapoff",
        "swapon",
        "_sysctl",
        "syslog",
        "umount",
        "umount2",
        "unshare",
        "uselib",
        "userfaultfd",
        "ustat",
        "vm86",
        "vm86old",
    };
    return names;
}

const std::vector<std::string>& io_uring_syscalls() {
    static const std::vector<std::string> names{"io_uring_enter", "io_uring_register",
                                                "io_uring_setup"};
    return names;
}

Capabilities Capabilities::keep(CapSet keep) {
    std::ranges::sort(keep);
    keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
    return Capabilities{keep, keep, keep, keep, keep};
}

bool SandboxSpec::has(Namespace ns) const noexcept {
    return std::ranges::find(namespaces, ns) != namespaces.end();
}

std::vector<Namespace> default_namespaces() {
    return {Namespace::Pid, Namespace::Mount, Namespace::Uts,
            Namespace::Ipc, Namespace::Net,   Namespace::Cgroup};
}

std::vector<std::string> check(const SandboxSpec& spec) {
    std::vector<std::string> problems;
    if (!spec.hostname.empty() && !spec.has(Namespace::Uts)) {
        problems.emplace_back("hostname: needs \"uts\" in namespaces");
    }
    if ((!spec.uid_map.empty() || !spec.gid_map.empty()) && !spec.has(Namespace::User)) {
        problems.emplace_back("uid-map, gid-map: need \"user\" in namespaces");
    }
    check_maps(problems, "uid-map", spec.uid_map);
    check_maps(problems, "gid-map", spec.gid_map);
    if (!spec.has(Namespace::Mount)) {
        problems.emplace_back("namespaces: a sandbox needs \"mount\" (its root is a mount)");
    }
    if (spec.root.empty()) {
        problems.emplace_back("root: missing (the directory the worker sees as /)");
    } else {
        check_path(problems, "root", spec.root);
    }
    for (const Bind& bind : spec.binds) {
        check_path(problems, "binds.source", bind.source);
        check_path(problems, "binds.target", bind.target);
    }
    for (const Tmpfs& t : spec.tmpfs) check_path(problems, "tmpfs", t.target);
    for (const auto& p : spec.masked_paths) check_path(problems, "masked-paths", p);
    for (const auto& p : spec.readonly_paths) check_path(problems, "readonly-paths", p);
    const Capabilities& caps = spec.capabilities;
    if (!subset(caps.effective, caps.permitted)) {
        problems.emplace_back("capabilities.effective: must be within permitted");
    }
    if (!subset(caps.ambient, caps.permitted) || !subset(caps.ambient, caps.inheritable)) {
        problems.emplace_back("capabilities.ambient: must be within permitted and inheritable");
    }
    if (spec.limits.cpu_weight &&
        (*spec.limits.cpu_weight < 1 || *spec.limits.cpu_weight > 10000)) {
        problems.emplace_back("cpu-weight: must be from 1 to 10000");
    }
    if (spec.limits.cpu_max &&
        (spec.limits.cpu_max->quota_us < 1000 || spec.limits.cpu_max->period_us < 1000 ||
         spec.limits.cpu_max->period_us > 1'000'000)) {
        problems.emplace_back(
            "cpu-max: the quota must be at least 1000us and the period from 1000us to 1s");
    }
    return problems;
}

std::string format_size(std::uint64_t bytes) {
    constexpr std::array<std::pair<char, int>, 4> units{
        {{'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}}};
    for (const auto& [unit, shift] : units) {
        const std::uint64_t scale = std::uint64_t{1} << shift;
        if (bytes >= scale && bytes % scale == 0) return fmt::format("{}{}", bytes / scale, unit);
    }
    return std::to_string(bytes);
}

}  // namespace svinit::sandbox
