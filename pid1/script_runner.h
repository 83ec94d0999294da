#pragma once
// Runs scripts one at a time, each to completion, through the event loop: my_init's
// startup scripts (/etc/my_init.d/*, /etc/rc.local) and its pre- and post-shutdown
// scripts. PID 1 keeps reaping, answering svctl and handling signals while one runs.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/child_reaper.h"
#include "core/event_loop.h"

namespace svinit::pid1 {

class ScriptRunner {
public:
    // Called after each script; returning false ends the sequence there.
    using AfterEach = std::function<bool(const std::string& path, const core::ChildExit& exit)>;
    // Called once: true when every script ran and each AfterEach returned true.
    using Done = std::function<void(bool completed)>;

    ScriptRunner(core::EventLoop& loop, core::ChildReaper& reaper) : loop_(loop), reaper_(reaper) {}
    ScriptRunner(const ScriptRunner&) = delete;
    ScriptRunner& operator=(const ScriptRunner&) = delete;

    // Starts the sequence. A script that runs longer than `limit` gets SIGTERM, then
    // SIGKILL after kKillGrace; nullopt: no limit (my_init's startup scripts have none).
    void run(std::vector<std::string> paths, std::optional<core::Duration> limit,
             AfterEach after_each, Done done);

    // Ends the sequence early: SIGTERM to the running script now, SIGKILL after `grace`;
    // done(false) runs when it is gone (at once when none runs).
    void abort(core::Duration grace);

    bool running() const noexcept { return static_cast<bool>(done_); }

    static constexpr core::Duration kKillGrace = std::chrono::seconds(5);

private:
    void next();
    void on_exit(const std::string& path, const core::ChildExit& exit);
    void stop_current(core::Duration grace);
    void finish(bool completed);

    core::EventLoop& loop_;
    core::ChildReaper& reaper_;
    std::vector<std::string> paths_;
    std::size_t next_ = 0;
    std::optional<core::Duration> limit_;
    AfterEach after_each_;
    Done done_;
    core::TrackedChild current_;
    core::TimerHandle timer_;
    bool aborting_ = false;
};

}  // namespace svinit::pid1
