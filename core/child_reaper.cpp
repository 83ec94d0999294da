#include "core/child_reaper.h"

#include "core/pidfd.h"
#include <sys/wait.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace svinit::core {

Result<void> ChildReaper::track(Child child, ExitCallback on_exit) {
    pid_t pid = child.pid;
    auto watch = loop_.watch_readable(child.pidfd.get(), [this] { reap_all(); });
    if (!watch) return std::unexpected(watch.error());
    tracked_.emplace(pid, Tracked{std::move(child), *watch, std::move(on_exit)});
    has_children_ = true;
    return {};
}

void ChildReaper::untrack(pid_t pid) {
    auto node = tracked_.extract(pid);
    if (node.empty()) return;
    loop_.unwatch(node.mapped().watch);
}

Result<void> ChildReaper::send_signal(pid_t pid, int sig) {
    auto it = tracked_.find(pid);
    if (it == tracked_.end()) return error(ESRCH, fmt::format("signal {}: not a child of svinit", pid));
    if (pidfd_send_signal(it->second.child.pidfd.get(), sig) != 0) {
        return sys_error(fmt::format("pidfd_send_signal {} to pid {}", sig, pid));
    }
    return {};
}

void ChildReaper::reap_all() {
    // An exit callback may start a child, whose pidfd watch could re-enter here.
    if (in_pass_) return;
    in_pass_ = true;
    while (true) {
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
            if (errno == EINTR) continue;
            if (errno != ECHILD) spdlog::error("waitid: {}", std::strerror(errno));
            has_children_ = errno != ECHILD;
            break;
        }
        if (info.si_pid == 0) {  // children exist, none has exited
            has_children_ = true;
            break;
        }
        if (tracked_.contains(info.si_pid)) {
            reap_tracked(info.si_pid);
        } else {
            reap_orphan(info.si_pid);
        }
    }
    in_pass_ = false;
    if (!has_children_ && on_no_children_) on_no_children_();
}

void ChildReaper::reap_tracked(pid_t pid) {
    auto node = tracked_.extract(pid);
    Tracked& entry = node.mapped();
    loop_.unwatch(entry.watch);
    siginfo_t info{};
    if (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(entry.child.pidfd.get()), &info,
                 WEXITED | WNOHANG) != 0 ||
        info.si_pid == 0) {
        // Cannot happen for a zombie we just saw; fall back so the pass cannot spin.
        spdlog::error("waitid pidfd for pid {}: {}", pid, std::strerror(errno));
        ::waitpid(pid, nullptr, WNOHANG);
        info.si_code = CLD_KILLED;
        info.si_status = SIGKILL;
    }
    ChildExit exit{pid, decode_exit(info), read_spawn_failure(entry.child.spawn_report)};
    if (entry.on_exit) entry.on_exit(exit);
}

void ChildReaper::reap_orphan(pid_t pid) {
    siginfo_t info{};
    ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG);
    ++orphans_reaped_;
    // Checked first: formatting a line per orphan that nobody reads costs a storm dearly.
    if (spdlog::should_log(spdlog::level::trace)) {
        spdlog::trace("reaped orphan {} ({})", pid, decode_exit(info).describe());
    }
}

}  // namespace svinit::core
