#include "core/child_reaper.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include "core/pidfd.h"

namespace svinit::core {

const SpawnReports* ChildReaper::reports() {
    if (!reports_.is_open() && !reports_.open()) return nullptr;
    return &reports_;
}

Result<TrackedChild> ChildReaper::spawn(const SpawnOptions& options, ExitCallback on_exit) {
    if (!reports_.is_open()) {
        if (auto opened = reports_.open(); !opened) return std::unexpected(opened.error());
    }
    auto child = core::spawn(options, reports_);
    if (!child) return std::unexpected(child.error());
    const pid_t pid = child->pid;
    auto tracked = track(std::move(*child), std::move(on_exit));
    // Unwatchable: stop it rather than lose track of it; it is reaped as an orphan.
    if (!tracked) ::kill(pid, SIGKILL);
    return tracked;
}

Result<TrackedChild> ChildReaper::track(Child child, ExitCallback on_exit) {
    const pid_t pid = child.pid;
    auto watch = loop_.watch_readable(child.pidfd.get(), [this] { reap_all(); });
    if (!watch) {
        // Reaped as an orphan later; its exec report, if any, must go with it then.
        abandoned_.insert(pid);
        return std::unexpected(watch.error());
    }
    const std::uint64_t serial = next_serial_++;
    tracked_.insert_or_assign(
        pid, Tracked{std::move(child), serial, std::move(*watch), std::move(on_exit)});
    has_children_ = true;
    return TrackedChild(*this, ChildToken{pid, serial});
}

ChildReaper::Tracked* ChildReaper::find(ChildToken token) {
    auto it = tracked_.find(token.pid);
    if (it == tracked_.end() || it->second.serial != token.serial) return nullptr;
    return &it->second;
}

void ChildReaper::untrack(ChildToken token) {
    if (find(token) != nullptr) tracked_.erase(token.pid);
}

Result<void> ChildReaper::signal(ChildToken token, int sig) {
    Tracked* entry = find(token);
    if (entry == nullptr) {
        return error(ESRCH,
                     fmt::format("signal {}: pid {} is not a child of svinit", sig, token.pid));
    }
    if (pidfd_send_signal(entry->child.pidfd.get(), sig) != 0) {
        return sys_error(fmt::format("pidfd_send_signal {} to pid {}", sig, token.pid));
    }
    return {};
}

// The group named by the child's pid exists while the child is tracked (a zombie keeps its
// pid and group id from reuse until it is reaped); should the child have left it (setsid),
// the child alone is signalled.
Result<void> ChildReaper::signal_group(ChildToken token, int sig) {
    if (find(token) == nullptr) {
        return error(ESRCH,
                     fmt::format("signal {}: pid {} is not a child of svinit", sig, token.pid));
    }
    if (::kill(-token.pid, sig) == 0) return {};
    return signal(token, sig);
}

ChildReaper::NoChildrenListener ChildReaper::on_no_children(Callback cb) {
    on_no_children_ = std::move(cb);
    return NoChildrenListener(*this, ++no_children_serial_);
}

void ChildReaper::on_no_children_remove(std::uint64_t serial) {
    if (serial == no_children_serial_) on_no_children_ = nullptr;
}

void ChildReaper::reap_all() {
    // An exit callback may start a child, whose pidfd watch could re-enter here.
    if (in_pass_) return;
    in_pass_ = true;
    while (true) {
        // One call per zombie, tracked or not: a tracked child's pid cannot be reused
        // before it is reaped, and only this loop reaps, so a pid found in tracked_ is that
        // child, and the siginfo carries its status.
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG) != 0) {
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
            reap_tracked(info);
        } else {
            reap_orphan(info);
        }
    }
    in_pass_ = false;
    if (!has_children_ && on_no_children_) {
        Callback cb = on_no_children_;  // it may replace or remove itself
        cb();
    }
}

void ChildReaper::reap_tracked(const siginfo_t& info) {
    const pid_t pid = info.si_pid;
    auto node = tracked_.extract(pid);
    Tracked& entry = node.mapped();
    entry.watch.reset();
    ChildExit exit{pid, decode_exit(info), take_report(pid)};
    if (entry.on_exit) entry.on_exit(exit);
}

// The child has exited, so its record, if it failed before exec, is in the pipe already.
std::optional<SpawnFailure> ChildReaper::take_report(pid_t pid) {
    if (!reports_.is_open()) return std::nullopt;
    reports_.collect();
    return reports_.take(pid);
}

void ChildReaper::reap_orphan(const siginfo_t& info) {
    // A child of ours that could not be watched may have left an exec report; a true
    // orphan cannot (checking the pipe for each would cost a storm a syscall per orphan).
    if (abandoned_.erase(info.si_pid) != 0) (void)take_report(info.si_pid);
    ++orphans_reaped_;
    // Checked first: formatting a line per orphan that nobody reads costs a storm dearly.
    if (spdlog::should_log(spdlog::level::trace)) {
        spdlog::trace("reaped orphan {} ({})", info.si_pid, decode_exit(info).describe());
    }
}

}  // namespace svinit::core
