#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include "sandbox/proc_file.h"

namespace svinit::sandbox {

namespace {

constexpr std::string_view kPrefix = "svinit-sandbox-";
constexpr std::size_t kMaxControlFile = 64 * 1024;

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    while (true) {
        const auto at = text.find(sep);
        parts.push_back(text.substr(0, at));
        if (at == std::string_view::npos) break;
        text.remove_prefix(at + 1);
    }
    return parts;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            int value = 0;
            auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 4, value, 8);
            if (ec == std::errc() && end == text.data() + i + 4) {
                out += static_cast<char>(value);
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::string join_dir(const std::string& mount_point, std::string_view mount_root,
                     std::string_view path) {
    if (mount_root != "/") {
        if (!path.starts_with(mount_root)) return {};
        path.remove_prefix(mount_root.size());
    }
    std::string dir = mount_point;
    if (!path.empty() && path != "/") dir += path;
    return dir;
}

core::Result<void> write_text(const std::string& path, std::string_view text) {
    return write_control_file(path, text);
}

core::Result<std::string> read_text(const std::string& path) {
    return read_control_file(path, kMaxControlFile);
}

bool file_exists(const std::string& path) {
    return ::access(path.c_str(), F_OK) == 0;
}

// The value of "KEY N" in a flat-keyed file (memory.events, cgroup.events, oom_control).
std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key) {
    for (auto line : split(text, '\n')) {
        if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ' ')
            continue;
        line.remove_prefix(key.size() + 1);
        std::uint64_t value = 0;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
        if (ec == std::errc()) return value;
    }
    return std::nullopt;
}

bool lists_word(std::string_view text, std::string_view word) {
    for (auto line : split(text, '\n')) {
        for (auto w : split(line, ' ')) {
            if (w == word) return true;
        }
    }
    return false;
}

// Makes `controller` available to the children of `dir` (cgroup v2). False when `dir`
// does not have it at all. A cgroup with processes cannot hand controllers down ("no
// internal processes"): when svinit is alone in it (PID 1 of a container, a service with
// Delegate=yes), svinit moves into a leaf of its own, DIR/svinit, and tries again.
core::Result<bool> enable_v2(const std::string& dir, std::string_view controller) {
    auto available = read_text(dir + "/cgroup.controllers");
    if (!available) return std::unexpected(available.error());
    if (!lists_word(*available, controller)) return false;
    auto enabled = read_text(dir + "/cgroup.subtree_control");
    if (enabled && lists_word(*enabled, controller)) return true;
    const std::string request = fmt::format("+{}", controller);
    auto wrote = write_text(dir + "/cgroup.subtree_control", request);
    if (wrote) return true;
    if (wrote.error().code != EBUSY) return std::unexpected(wrote.error());
    auto procs = read_text(dir + "/cgroup.procs");
    if (!procs || *procs != fmt::format("{}\n", ::getpid())) {
        return core::error(EBUSY, fmt::format("enable the {} controller below {}: other processes "
                                              "share svinit's cgroup; run svinit in a cgroup of "
                                              "its own (e.g. systemd's Delegate=yes)",
                                              controller, dir));
    }
    const std::string leaf = dir + "/svinit";
    if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
        return core::sys_error(fmt::format("mkdir {}", leaf));
    }
    if (auto moved = write_text(leaf + "/cgroup.procs", "0"); !moved) {
        return std::unexpected(moved.error());
    }
    if (auto again = write_text(dir + "/cgroup.subtree_control", request); !again) {
        return std::unexpected(again.error());
    }
    return true;
}

// mkdir, clearing a leftover of an earlier run (an empty directory of the same name).
core::Result<void> make_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0755) == 0) return {};
    if (errno != EEXIST) return core::sys_error(fmt::format("mkdir {}", dir));
    if (::rmdir(dir.c_str()) != 0) {
        return core::sys_error(
            fmt::format("{} exists from an earlier run and cannot be removed", dir));
    }
    if (::mkdir(dir.c_str(), 0755) != 0) return core::sys_error(fmt::format("mkdir {}", dir));
    return {};
}

std::string refused(std::string_view key, std::string_view controller, const std::string& why) {
    return fmt::format(
        "{}: cannot be enforced: no {} controller in cgroup v2 or v1 here{}; refusing to start "
        "without the limit",
        key, controller, why.empty() ? "" : " (" + why + ")");
}

}  // namespace

CgroupHost parse_cgroup_host(std::string_view mountinfo, std::string_view proc_cgroup) {
    struct Mount {
        std::string point;
        std::string root;
    };
    std::optional<Mount> v2;
    std::map<std::string, Mount, std::less<>> v1;  // by controller
    for (auto line : split(mountinfo, '\n')) {
        const auto fields = split(line, ' ');
        std::size_t dash = 0;
        while (dash < fields.size() && fields[dash] != "-") ++dash;
        if (dash < 6 || dash + 3 > fields.size()) continue;
        const std::string_view fstype = fields[dash + 1];
        Mount mount{unescape(fields[4]), unescape(fields[3])};
        if (fstype == "cgroup2" && !v2) v2 = mount;
        if (fstype != "cgroup") continue;
        for (auto option : split(fields[dash + 3], ',')) {
            if (option != "rw" && option != "ro" && !option.starts_with("name=") &&
                !v1.contains(option)) {
                v1.emplace(std::string(option), mount);
            }
        }
    }
    CgroupHost host;
    for (auto line : split(proc_cgroup, '\n')) {
        const auto first = line.find(':');
        const auto second = line.find(':', first == std::string_view::npos ? 0 : first + 1);
        if (first == std::string_view::npos || second == std::string_view::npos) continue;
        const std::string_view controllers = line.substr(first + 1, second - first - 1);
        const std::string_view path = line.substr(second + 1);
        if (line.substr(0, first) == "0" && controllers.empty()) {
            if (v2) host.v2_dir = join_dir(v2->point, v2->root, path);
            continue;
        }
        for (auto controller : split(controllers, ',')) {
            const auto found = v1.find(controller);
            if (found == v1.end()) continue;
            std::string dir = join_dir(found->second.point, found->second.root, path);
            if (!dir.empty()) host.v1_dirs.emplace(std::string(controller), std::move(dir));
        }
    }
    return host;
}

core::Result<CgroupHost> discover_cgroup_host() {
    auto mountinfo = read_control_file("/proc/self/mountinfo", 4 << 20);
    if (!mountinfo) return std::unexpected(mountinfo.error());
    auto cgroup = read_control_file("/proc/self/cgroup", kMaxControlFile);
    if (!cgroup) return std::unexpected(cgroup.error());
    return parse_cgroup_host(*mountinfo, *cgroup);
}

std::uint64_t cpu_weight_to_shares(std::uint32_t weight) {
    return 2 + (static_cast<std::uint64_t>(weight) - 1) * 262142 / 9999;
}

SandboxCgroup::SandboxCgroup(SandboxCgroup&& other) noexcept
    : v2_dir_(std::exchange(other.v2_dir_, {})),
      v2_fd_(std::move(other.v2_fd_)),
      v1_dirs_(std::exchange(other.v1_dirs_, {})),
      memory_dir_(std::exchange(other.memory_dir_, {})),
      memory_version_(other.memory_version_),
      limits_(other.limits_),
      placement_(std::exchange(other.placement_, {})) {}

SandboxCgroup& SandboxCgroup::operator=(SandboxCgroup&& other) noexcept {
    if (this != &other) {
        (void)remove();
        v2_dir_ = std::exchange(other.v2_dir_, {});
        v2_fd_ = std::move(other.v2_fd_);
        v1_dirs_ = std::exchange(other.v1_dirs_, {});
        memory_dir_ = std::exchange(other.memory_dir_, {});
        memory_version_ = other.memory_version_;
        limits_ = other.limits_;
        placement_ = std::exchange(other.placement_, {});
    }
    return *this;
}

SandboxCgroup::~SandboxCgroup() {
    (void)remove();
}

core::Result<SandboxCgroup> SandboxCgroup::create(const CgroupHost& host, std::string_view name,
                                                  const Limits& limits) {
    SandboxCgroup cg;
    cg.limits_ = limits;
    if (host.v2_dir.empty()) {
        if (limits.any()) {
            return core::error(ENOTSUP,
                               "sandbox limits need a cgroup v2 hierarchy (for placement "
                               "and cgroup.kill), and none is mounted");
        }
        return cg;
    }
    const std::string leaf = fmt::format("{}{}", kPrefix, name);

    // Which hierarchy enforces each limit.
    struct Need {
        std::string_view key;
        std::string_view controller;
        bool wanted;
        std::optional<CgroupVersion> where{};
        std::string why_not_v2{};
    };
    std::vector<Need> needs{
        {"memory-max", "memory", limits.memory_max.has_value()},
        {"pids-max", "pids", limits.pids_max.has_value()},
        {"cpu-max", "cpu", limits.cpu_max.has_value() || limits.cpu_weight.has_value()}};
    for (Need& need : needs) {
        if (!need.wanted) continue;
        auto v2 = enable_v2(host.v2_dir, need.controller);
        std::string why = v2 ? std::string() : v2.error().message();
        if (v2 && *v2) {
            need.where = CgroupVersion::V2;
        } else if (host.v1_dirs.contains(need.controller)) {
            need.where = CgroupVersion::V1;
            need.why_not_v2 =
                why.empty() ? fmt::format("no {} controller in cgroup v2 here", need.controller)
                            : why;
        } else {
            return core::error(0, refused(need.key, need.controller, why));
        }
    }

    cg.v2_dir_ = host.v2_dir + "/" + leaf;
    if (auto made = make_dir(cg.v2_dir_); !made) {
        cg.v2_dir_.clear();
        // Not ours to create (rootless without a delegated cgroup): fine without limits.
        const int code = made.error().code;
        if (!limits.any() && (code == EACCES || code == EPERM || code == EROFS)) return cg;
        return core::error(code, fmt::format("the limits need a cgroup of the sandbox's own; "
                                             "refusing to start without them: {}",
                                             made.error().context));
    }
    cg.v2_fd_ = core::UniqueFd(::open(cg.v2_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cg.v2_fd_) return core::sys_error(fmt::format("open {}", cg.v2_dir_));

    auto dir_for = [&](std::string_view controller,
                       CgroupVersion version) -> core::Result<std::string> {
        if (version == CgroupVersion::V2) return cg.v2_dir_;
        const std::string dir = host.v1_dirs.find(controller)->second + "/" + leaf;
        if (std::ranges::find(cg.v1_dirs_, dir) == cg.v1_dirs_.end()) {
            if (auto made = make_dir(dir); !made) return std::unexpected(made.error());
            cg.v1_dirs_.push_back(dir);
        }
        return dir;
    };
    for (const Need& need : needs) {
        if (!need.where) continue;
        auto dir = dir_for(need.controller, *need.where);
        if (!dir) return std::unexpected(dir.error());
        const bool v2 = *need.where == CgroupVersion::V2;
        core::Result<void> wrote;
        if (need.controller == "memory") {
            const std::string bytes = std::to_string(*limits.memory_max);
            cg.memory_dir_ = *dir;
            cg.memory_version_ = *need.where;
            wrote = write_text(*dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"), bytes);
            // No swapping around the limit: memory-max is all the memory it gets.
            if (wrote && v2 && file_exists(*dir + "/memory.swap.max")) {
                wrote = write_text(*dir + "/memory.swap.max", "0");
            } else if (wrote && !v2 && file_exists(*dir + "/memory.memsw.limit_in_bytes")) {
                wrote = write_text(*dir + "/memory.memsw.limit_in_bytes", bytes);
            }
        } else if (need.controller == "pids") {
            wrote = write_text(*dir + "/pids.max", std::to_string(*limits.pids_max));
        } else if (v2) {
            if (limits.cpu_max) {
                wrote = write_text(*dir + "/cpu.max", fmt::format("{} {}", limits.cpu_max->quota_us,
                                                                  limits.cpu_max->period_us));
            }
            if (wrote && limits.cpu_weight) {
                wrote = write_text(*dir + "/cpu.weight", std::to_string(*limits.cpu_weight));
            }
        } else {
            if (limits.cpu_max) {
                wrote = write_text(*dir + "/cpu.cfs_period_us",
                                   std::to_string(limits.cpu_max->period_us));
                if (wrote) {
                    wrote = write_text(*dir + "/cpu.cfs_quota_us",
                                       std::to_string(limits.cpu_max->quota_us));
                }
            }
            if (wrote && limits.cpu_weight) {
                wrote = write_text(*dir + "/cpu.shares",
                                   std::to_string(cpu_weight_to_shares(*limits.cpu_weight)));
            }
        }
        if (!wrote) return std::unexpected(wrote.error());
        std::string note = fmt::format("{} in cgroup {} ({})", need.key, v2 ? "v2" : "v1", *dir);
        if (!v2) note += ": " + need.why_not_v2;
        cg.placement_.push_back(std::move(note));
    }
    return cg;
}

core::Result<void> SandboxCgroup::add(pid_t pid, bool v2) const {
    const std::string text = std::to_string(pid);
    for (const auto& dir : v1_dirs_) {
        if (auto r = write_text(dir + "/cgroup.procs", text); !r) return r;
    }
    if (v2 && placed()) return write_text(v2_dir_ + "/cgroup.procs", text);
    return {};
}

core::Result<void> SandboxCgroup::kill() const {
    if (!placed()) return {};
    auto killed = write_text(v2_dir_ + "/cgroup.kill", "1");
    if (killed || killed.error().code != ENOENT) return killed;
    // Before Linux 5.14: each process listed. A fork between the read and the kill is
    // caught by the next round; bounded, since pids-max or a fork bomb must not hang us.
    for (int round = 0; round < 16; ++round) {
        auto procs = read_text(v2_dir_ + "/cgroup.procs");
        if (!procs) return std::unexpected(procs.error());
        if (procs->empty()) return {};
        for (auto line : split(*procs, '\n')) {
            pid_t pid = 0;
            auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
            if (ec == std::errc() && pid > 0) ::kill(pid, SIGKILL);
        }
    }
    return {};
}

core::Result<bool> SandboxCgroup::populated() const {
    if (!placed()) return false;
    auto events = read_text(events_file());
    if (!events) return std::unexpected(events.error());
    return keyed_value(*events, "populated").value_or(0) != 0;
}

std::uint64_t SandboxCgroup::oom_kills() const {
    if (memory_dir_.empty()) return 0;
    const bool v2 = memory_version_ == CgroupVersion::V2;
    auto text = read_text(memory_dir_ + (v2 ? "/memory.events" : "/memory.oom_control"));
    if (!text) return 0;
    return keyed_value(*text, "oom_kill").value_or(0);
}

std::string SandboxCgroup::usage() const {
    if (!placed()) return {};
    std::string text;
    const bool v1 = !memory_dir_.empty() && memory_version_ == CgroupVersion::V1;
    const std::string dir = memory_dir_.empty() ? v2_dir_ : memory_dir_;
    if (auto memory = read_text(dir + (v1 ? "/memory.usage_in_bytes" : "/memory.current"))) {
        std::uint64_t bytes = 0;
        auto [end, ec] = std::from_chars(memory->data(), memory->data() + memory->size(), bytes);
        if (ec == std::errc()) {
            text = fmt::format("memory {:.1f}M, ", static_cast<double>(bytes) / (1 << 20));
        }
    }
    auto procs = read_text(v2_dir_ + "/cgroup.procs");
    if (!procs) return text.empty() ? text : text.substr(0, text.size() - 2);
    const auto count = std::count(procs->begin(), procs->end(), '\n');
    return text + fmt::format("{} proc{}", count, count == 1 ? "" : "s");
}

core::Result<void> SandboxCgroup::remove() {
    core::Result<void> result;
    v2_fd_.reset();
    auto drop = [&](std::string& dir) {
        if (dir.empty()) return;
        if (::rmdir(dir.c_str()) != 0 && errno != ENOENT && result) {
            result = core::sys_error(fmt::format("rmdir {}", dir));
        }
    };
    for (auto& dir : v1_dirs_) drop(dir);
    drop(v2_dir_);
    v1_dirs_.clear();
    v2_dir_.clear();
    memory_dir_.clear();
    return result;
}

}  // namespace svinit::sandbox
