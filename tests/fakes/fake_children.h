#pragma once
// A ChildHost that runs no process: it records what would have been spawned and
// signalled, and the test says when a child exits. Exits are delivered through the
// loop (a zero timer), as the real reaper delivers them from a pidfd callback, so an
// exit never re-enters the code that caused it.

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/child_host.h"
#include "core/event_loop.h"

namespace svinit::test {

class FakeChildren final : public core::ChildHost {
public:
    struct Child {
        core::ChildToken token;
        core::SpawnOptions options;
        ExitCallback on_exit;
        std::vector<int> signals;  // every signal sent, in order
        bool tracked = true;       // false once its owner let go of it (an orphan now)
        bool exiting = false;      // an exit is on its way through the loop
    };

    explicit FakeChildren(core::EventLoop& loop) : loop_(loop) {}

    core::Result<core::TrackedChild> spawn(const core::SpawnOptions& options,
                                           ExitCallback on_exit) override;
    // A child started elsewhere keeps its pid; options.path reads "(tracked)".
    core::Result<core::TrackedChild> track(core::Child child, ExitCallback on_exit) override;
    // No pipe: a fake runs no process that could report to one.
    const core::SpawnReports* reports() override { return nullptr; }
    void untrack(core::ChildToken token) override;
    core::Result<void> signal(core::ChildToken token, int sig) override;

    // The next spawn fails with this errno (as clone3 or a pipe could).
    void fail_next_spawn(int error) { fail_next_ = error; }
    // With it, SIGTERM, SIGKILL, SIGINT, SIGQUIT and SIGHUP make a child exit (killed by
    // the signal) on the loop's next turn, as a well-behaved program would.
    void exit_on_signals(bool on) { exit_on_signals_ = on; }

    // The child exits with `status` on the loop's next turn (or, with spawn_failure, never
    // reached exec). False when no such child is tracked.
    bool exit(pid_t pid, core::ExitStatus status);
    bool fail_exec(pid_t pid, int error);

    // Children whose owner still tracks them, oldest first.
    std::vector<pid_t> running() const;
    const Child* find(pid_t pid) const;
    // The newest child started from options.path (e.g. "./run"), if it still runs.
    std::optional<pid_t> newest(const std::string& path) const;
    std::size_t spawned() const noexcept { return spawned_; }

private:
    bool deliver(pid_t pid, core::ChildExit exit);

    core::EventLoop& loop_;
    std::map<pid_t, Child> children_;
    std::vector<core::TimerHandle> deliveries_;
    pid_t next_pid_ = 100;
    std::uint64_t next_serial_ = 1;
    std::size_t spawned_ = 0;
    std::optional<int> fail_next_;
    bool exit_on_signals_ = false;
};

}  // namespace svinit::test
