#pragma once
// A sandbox as plain values: what a sandboxed worker is isolated by, as config/ reads it from
// a [sandbox] table (docs/sandbox.md has every key). Nothing here does anything; the spawn
// path (sandbox/sandbox_spawn.h) turns a spec into a running sandbox. Specs compare with
// operator==, so a reload can tell whether a sandboxed service must restart.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace svinit::sandbox {

// ---- namespaces

enum class Namespace { Pid, Mount, Uts, Ipc, Net, Cgroup, User };

// As TOML spells them: "pid", "mount", "uts", "ipc", "net", "cgroup", "user".
std::string_view to_string(Namespace ns) noexcept;
std::optional<Namespace> namespace_from_string(std::string_view name) noexcept;
// The CLONE_NEW* flag.
std::uint64_t clone_flag(Namespace ns) noexcept;
// The name under /proc/PID/ns/: "pid", "mnt", "uts", "ipc", "net", "cgroup", "user".
std::string_view proc_ns_name(Namespace ns) noexcept;

// One line of /proc/PID/uid_map or gid_map.
struct IdMap {
    std::uint32_t inside = 0;
    std::uint32_t outside = 0;
    std::uint32_t count = 1;
    bool operator==(const IdMap&) const = default;
};

// ---- the filesystem

struct Bind {
    std::string source;  // a host path, absolute
    std::string target;  // inside the root, absolute
    bool read_only = false;
    bool recursive = true;  // MS_REC: the mounts below source come along
    bool operator==(const Bind&) const = default;
};

struct Tmpfs {
    std::string target;                 // inside the root, absolute
    std::optional<std::uint64_t> size;  // bytes; nullopt: the kernel's default (half of RAM)
    std::uint32_t mode = 01777;
    bool operator==(const Tmpfs&) const = default;
};

// runc's (and Docker's) defaults: masked paths read empty (a file under /dev/null, a
// directory under an empty read-only tmpfs); read-only paths are remounted read-only.
// Paths that do not exist are skipped.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

// ---- privileges

// Capability numbers (CAP_*), sorted, each once. Empty: none.
using CapSet = std::vector<int>;

struct Capabilities {
    CapSet bounding;
    CapSet effective;
    CapSet permitted;
    CapSet inheritable;
    CapSet ambient;

    // `keep` in all five sets: what `capabilities = [...]` means.
    static Capabilities keep(CapSet keep);
    bool operator==(const Capabilities&) const = default;
};

// ---- seccomp

enum class SeccompMode {
    Off,       // no filter
    DenyList,  // everything allowed but `syscalls` (and the default list), which fail with
               // `errno_value`
    AllowList  // nothing allowed but `syscalls`; everything else fails with `errno_value`
};

struct SeccompSpec {
    SeccompMode mode = SeccompMode::DenyList;
    bool default_list = true;           // DenyList: include the built-in list (seccomp = "default")
    bool allow_io_uring = false;        // DenyList with the default list: let io_uring_* through
    std::vector<std::string> syscalls;  // names, sorted, each once
    int errno_value = 1;                // EPERM, as Docker's profile returns
    bool operator==(const SeccompSpec&) const = default;
};

// The built-in deny list: what a worker never needs and a container escape often does
// (kernel modules, kexec, reboot, the mount family, keyrings, bpf, perf, ptrace, namespaces
// (unshare, setns), clock and swap changes, ...). io_uring's three calls are separate:
// io_uring_syscalls().
const std::vector<std::string>& default_denied_syscalls();
const std::vector<std::string>& io_uring_syscalls();

// ---- cgroup limits

struct CpuMax {
    std::uint64_t quota_us = 0;  // 0 never: max is nullopt instead
    std::uint64_t period_us = 100'000;
    bool operator==(const CpuMax&) const = default;
};

struct Limits {
    std::optional<std::uint64_t> memory_max;  // bytes
    std::optional<std::uint64_t> pids_max;
    std::optional<CpuMax> cpu_max;
    std::optional<std::uint32_t> cpu_weight;  // 1..10000, cgroup v2's scale (default 100)

    bool any() const noexcept { return memory_max || pids_max || cpu_max || cpu_weight; }
    bool operator==(const Limits&) const = default;
};

// ---- the whole

struct SandboxSpec {
    // Default: every namespace but user (see with_default_namespaces).
    std::vector<Namespace> namespaces;  // sorted by enum value, each once
    std::string hostname;               // needs uts; empty: keep the host's name
    std::vector<IdMap> uid_map;         // needs user; empty: our uid as 0 inside
    std::vector<IdMap> gid_map;         // likewise with our gid

    std::string root;  // the new root directory, absolute (required)
    bool read_only_root = false;
    std::vector<Bind> binds;
    std::vector<Tmpfs> tmpfs;
    bool proc = true;  // a fresh /proc
    bool dev = true;   // a minimal /dev: null zero full random urandom tty, pts, ptmx, shm
    std::vector<std::string> masked_paths = default_masked_paths();
    std::vector<std::string> readonly_paths = default_readonly_paths();

    std::string user;   // name (from the root's /etc/passwd) or number; empty: 0
    std::string group;  // name (from the root's /etc/group) or number; empty: the user's
    bool no_new_privileges = true;
    Capabilities capabilities;  // default: none at all
    SeccompSpec seccomp;        // default: the built-in deny list

    Limits limits;

    bool has(Namespace ns) const noexcept;
    bool operator==(const SandboxSpec&) const = default;
};

// Every namespace but user: pid, mount, uts, ipc, net, cgroup.
std::vector<Namespace> default_namespaces();

// Problems that make a spec unusable, whoever built it: a hostname without uts, maps
// without user, a relative path, ambient capabilities outside permitted and inheritable,
// ... One message per problem, naming the key ("hostname: needs \"uts\" in namespaces").
std::vector<std::string> check(const SandboxSpec& spec);

// "256M", "1G", "1536K", "17" (bytes): the shortest exact form, for messages.
std::string format_size(std::uint64_t bytes);

}  // namespace svinit::sandbox
