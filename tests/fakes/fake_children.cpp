#include "fakes/fake_children.h"

#include <signal.h>

#include <algorithm>

namespace svinit::test {

core::Result<core::TrackedChild> FakeChildren::spawn(const core::SpawnOptions& options,
                                                     ExitCallback on_exit) {
    if (fail_next_) {
        const int error = *fail_next_;
        fail_next_.reset();
        return core::error(error, "fake spawn " + options.path);
    }
    const core::ChildToken token{next_pid_++, next_serial_++};
    children_.emplace(token.pid, Child{token, options, std::move(on_exit), {}, true, false});
    ++spawned_;
    return core::TrackedChild(*this, token);
}

core::Result<core::TrackedChild> FakeChildren::track(core::Child child, ExitCallback on_exit) {
    if (child.pid <= 0 || children_.contains(child.pid)) {
        return core::error(EINVAL, "fake track: pid " + std::to_string(child.pid));
    }
    const core::ChildToken token{child.pid, next_serial_++};
    core::SpawnOptions options;
    options.path = "(tracked)";
    children_.emplace(token.pid, Child{token, options, std::move(on_exit), {}, true, false});
    return core::TrackedChild(*this, token);
}

void FakeChildren::untrack(core::ChildToken token) {
    auto it = children_.find(token.pid);
    if (it == children_.end() || it->second.token.serial != token.serial) return;
    // An orphan now: it runs on with nobody to tell; a test may still see it.
    it->second.tracked = false;
    it->second.on_exit = nullptr;
}

core::Result<void> FakeChildren::signal(core::ChildToken token, int sig) {
    auto it = children_.find(token.pid);
    if (it == children_.end() || it->second.token.serial != token.serial || !it->second.tracked) {
        return core::error(ESRCH, "fake signal: no such child");
    }
    it->second.signals.push_back(sig);
    const bool fatal =
        sig == SIGTERM || sig == SIGKILL || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP;
    if ((exit_on_signals_ && fatal) || sig == SIGKILL) {
        (void)exit(token.pid, core::ExitStatus::signaled(sig));
    }
    return {};
}

bool FakeChildren::exit(pid_t pid, core::ExitStatus status) {
    return deliver(pid, core::ChildExit{pid, status, std::nullopt});
}

bool FakeChildren::fail_exec(pid_t pid, int error) {
    return deliver(pid, core::ChildExit{pid, core::ExitStatus::exited(127),
                                        core::SpawnFailure{core::SpawnStage::Exec, error}});
}

bool FakeChildren::deliver(pid_t pid, core::ChildExit exit) {
    auto it = children_.find(pid);
    if (it == children_.end() || it->second.exiting) return false;
    it->second.exiting = true;
    std::erase_if(deliveries_, [](const core::TimerHandle& h) { return !h.active(); });
    auto timer = loop_.add_timer(core::Duration::zero(), false, [this, pid, exit] {
        auto found = children_.find(pid);
        if (found == children_.end()) return;
        ExitCallback on_exit = std::move(found->second.on_exit);
        const bool tracked = found->second.tracked;
        children_.erase(found);  // reaped: the pid may be reused from now on
        if (tracked && on_exit) on_exit(exit);
    });
    if (!timer) return false;
    deliveries_.push_back(std::move(*timer));
    return true;
}

std::vector<pid_t> FakeChildren::running() const {
    std::vector<pid_t> pids;
    for (const auto& [pid, child] : children_) {
        if (child.tracked && !child.exiting) pids.push_back(pid);
    }
    return pids;
}

const FakeChildren::Child* FakeChildren::find(pid_t pid) const {
    auto it = children_.find(pid);
    return it == children_.end() ? nullptr : &it->second;
}

std::optional<pid_t> FakeChildren::newest(const std::string& path) const {
    std::optional<pid_t> found;
    for (const auto& [pid, child] : children_) {
        if (child.tracked && !child.exiting && child.options.path == path) found = pid;
    }
    return found;
}

}  // namespace svinit::test
