#include "core/kill_sweep.h"

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/pidfd.h"
#include "core/unique_fd.h"

namespace svinit::core {
namespace {

struct StatLine {
    char state = '?';
    pid_t ppid = -1;
    unsigned long flags = 0;
};

constexpr unsigned long kKernelThread = 0x00200000;  // PF_KTHREAD

// The state, parent pid and flags from /proc/PID/stat; the command name may hold spaces
// and ')', so parse after the last ')'.
std::optional<StatLine> read_stat(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    auto close = line.rfind(')');
    if (close == std::string::npos || close + 4 >= line.size()) return std::nullopt;
    // ") S PPID PGRP SESSION TTY_NR TPGID FLAGS ..."
    std::istringstream fields(line.substr(close + 2));
    StatLine stat;
    long ignored = 0;
    fields >> stat.state >> stat.ppid >> ignored >> ignored >> ignored >> ignored >> stat.flags;
    if (!fields) return std::nullopt;
    return stat;
}

pid_t read_parent(pid_t pid) {
    auto stat = read_stat(pid);
    return stat ? stat->ppid : -1;
}

// Calls f(pid) for every process /proc lists (thread-group leaders only).
template <class F>
void for_each_pid(F&& f) {
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), ::closedir);
    if (!dir) return;
    while (dirent* entry = ::readdir(dir.get())) {
        pid_t pid = 0;
        auto name = std::string_view(entry->d_name);
        auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
        if (ec != std::errc() || end != name.data() + name.size()) continue;
        f(pid);
    }
}

std::unordered_multimap<pid_t, pid_t> children_by_parent() {
    std::unordered_multimap<pid_t, pid_t> out;
    for_each_pid([&out](pid_t pid) {
        pid_t ppid = read_parent(pid);
        if (ppid > 0) out.emplace(ppid, pid);
    });
    return out;
}

}  // namespace

std::vector<pid_t> find_descendants(pid_t root) {
    auto tree = children_by_parent();
    std::vector<pid_t> out;
    std::vector<pid_t> todo{root};
    while (!todo.empty()) {
        pid_t parent = todo.back();
        todo.pop_back();
        auto [first, last] = tree.equal_range(parent);
        for (auto it = first; it != last; ++it) {
            out.push_back(it->second);
            todo.push_back(it->second);
        }
    }
    return out;
}

std::vector<pid_t> live_processes(std::size_t limit) {
    std::vector<pid_t> out;
    const pid_t self = ::getpid();
    for_each_pid([&](pid_t pid) {
        if (pid == self || out.size() >= limit) return;
        auto stat = read_stat(pid);
        // A zombie has exited already (only its parent's wait is missing); a kernel thread
        // (svinit as a machine's PID 1) never exits.
        if (!stat || stat->state == 'Z' || stat->state == 'X') return;
        if ((stat->flags & kKernelThread) != 0) return;
        out.push_back(pid);
    });
    return out;
}

Result<std::size_t> signal_everyone(int sig) {
    if (::getpid() == 1) {
        if (::kill(-1, sig) == 0) return 1;
        if (errno == ESRCH) return 0;
        return sys_error("kill(-1)");
    }
    std::size_t count = 0;
    auto descendants = find_descendants(::getpid());
    std::unordered_set<pid_t> family(descendants.begin(), descendants.end());
    family.insert(::getpid());
    for (pid_t pid : descendants) {
        // Pin the process with a pidfd, then check that its parent is still one of
        // ours: the pid may have been reused between reading /proc and now.
        UniqueFd fd(pidfd_open(pid));
        if (!fd || !family.contains(read_parent(pid))) continue;
        if (pidfd_send_signal(fd.get(), sig) == 0) ++count;
    }
    return count;
}

}  // namespace svinit::core
