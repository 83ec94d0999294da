#include "core/kill_sweep.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/parse_number.h"
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

// Splits off the next space-separated field of `text`.
std::string_view next_field(std::string_view& text) {
    const auto end = text.find(' ');
    const std::string_view field = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return field;
}

// The state, parent pid and flags from /proc/PID/stat; the command name may hold spaces
// and ')', so parse after the last ')'. Plain read(2), no iostreams: a static svinit
// would carry all of libstdc++'s locale machinery for this one file.
std::optional<StatLine> read_stat(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return std::nullopt;
    char buffer[1024];  // the fields up to flags come well within this
    ssize_t n = 0;
    do n = ::read(fd.get(), buffer, sizeof(buffer)); while (n < 0 && errno == EINTR);
    if (n <= 0) return std::nullopt;
    std::string_view line(buffer, static_cast<std::size_t>(n));
    auto close = line.rfind(')');
    if (close == std::string_view::npos || close + 4 >= line.size()) return std::nullopt;
    // ") S PPID PGRP SESSION TTY_NR TPGID FLAGS ..."
    std::string_view rest = line.substr(close + 2);
    StatLine stat;
    const std::string_view state = next_field(rest);
    if (state.size() != 1) return std::nullopt;
    stat.state = state[0];
    const auto ppid = parse_number<pid_t>(next_field(rest));
    for (int skip = 0; skip < 4; ++skip) next_field(rest);
    const auto flags = parse_number<unsigned long>(next_field(rest));
    if (!ppid || !flags) return std::nullopt;
    stat.ppid = *ppid;
    stat.flags = *flags;
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
        if (const auto pid = parse_number<pid_t>(entry->d_name)) f(*pid);
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
