#pragma once
// runit's supervise/ directories, kept for every supervised service (and its logger's
// log/supervise/) as runsv keeps them, so that runit's unmodified `sv` -- still
// /usr/bin/sv in images switched from runit -- works against svinit: `sv status`,
// `sv up|down|restart`, `sv -w 7 down`. It is a second control interface beside the
// socket, and like the server it sees the supervisor only through SupervisorApi.
//
// Event-driven: the supervisor tells us which service may have changed (observe()); we note
// the name and rewrite its files on the next turn of the loop (a zero timer that exists only
// while something is noted), so a burst of changes is one write and the files are never
// written from inside the supervisor's callbacks. Files are rewritten only when what they
// say changes.
//
// Services added at run time get their directory when they appear; for a removed one we
// write a last `down` status and close our fds, leaving the files on disk as runsv leaves
// them when it exits (sv then says "runsv not running").
//
// A directory we cannot keep (read-only file system, a runsv already holding its lock...)
// is reported once per service as a warning and tried again on the service's next change;
// svinit goes on. Commands written to a logger's log/supervise/control command the logger
// (NAME/log), as runsv's do.

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "control/runit_supervise_dir.h"
#include "core/event_loop.h"
#include "services/supervisor_api.h"

namespace svinit::control {

class RunitSupervise {
public:
    RunitSupervise(core::EventLoop& loop, services::SupervisorApi& api);
    RunitSupervise(const RunitSupervise&) = delete;
    RunitSupervise& operator=(const RunitSupervise&) = delete;

    // Subscribes to the supervisor's changes and takes the directories of the services it
    // has now; later ones are taken as they come. Call once.
    void start();

    // For tests: the service names whose directories are open.
    std::set<std::string> kept() const;

private:
    struct Entry {
        std::string dir;  // the service directory these were opened for
        std::unique_ptr<SuperviseDir> main;
        std::unique_ptr<SuperviseDir> log;
        bool warned = false;
    };

    void on_change(std::string_view name);
    void flush();
    void sync(const std::string& name);
    void sync_one(const std::string& name, Entry& entry, std::unique_ptr<SuperviseDir>& slot,
                  const std::string& dir, const services::ProcessStatus& status, bool is_log);
    void on_command(const std::string& name, char byte);
    void on_log_command(const std::string& name, char byte);
    static void release(std::unique_ptr<SuperviseDir>& slot);

    core::EventLoop& loop_;
    services::SupervisorApi& api_;
    services::SupervisorApi::ObserverHandle observer_;
    std::map<std::string, Entry, std::less<>> entries_;
    std::set<std::string, std::less<>> dirty_;  // at most one per service
    core::TimerHandle flush_timer_;
};

}  // namespace svinit::control
