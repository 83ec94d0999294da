#pragma once
// Notices when runit service directories change, with inotify: no periodic scan.
//
// Watched, all with one mask (inotify keeps one mask per inode, and a service dir can
// be reached twice, e.g. by two symlinks):
//  - each top-level DIR: entries created, deleted, renamed, chmodded; DIR itself going;
//  - each DIR/NAME/ and DIR/NAME/log/: `run`, `finish`, `down`, `log`, `control`
//    appearing, going, being chmodded or rewritten; DIR/NAME/control/: its scripts (u d x t
//    k p c h a i q 1 2). Other names there (supervise/, a logger's
//    files) are ignored, so svinit's own writes never trigger a rescan.
//  - a DIR that does not exist: its nearest existing ancestor, for the next missing
//    path component; so `mkdir -p DIR` later is noticed, one level at a time.
//
// Any relevant event arms a short one-shot timer (the debounce: it exists only after an
// event); each further event pushes it back, up to `max_delay` after the first, so a
// burst (cp -r of 200 services) gives one rescan, and a never-ending stream still gives
// one per `max_delay`. When it fires, the watcher first re-syncs its watches with the
// disk (refresh) and then calls on_change, which rescans: a file created between the
// two is seen by the rescan, one created after is seen by a new watch.
//
// Not noticed: a top-level DIR that is a symlink being pointed elsewhere (its parent is
// not watched while DIR exists); changes beyond the bounds (kMaxServices service dirs).

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/event_loop.h"
#include "core/inotify.h"
#include "services/service_spec.h"

namespace svinit::config {

struct WatcherOptions {
    core::Duration debounce = std::chrono::milliseconds(50);
    core::Duration max_delay = std::chrono::seconds(1);
};

class ServiceDirWatcher {
public:
    // Opens inotify and watches `dirs` at once. Scan after this, not before: a change
    // made in between is then either in the scan or reported by on_change. on_change runs
    // on the loop; it may destroy the watcher. `loop` must outlive the watcher.
    static core::Result<std::unique_ptr<ServiceDirWatcher>> create(
        core::EventLoop& loop, std::vector<std::filesystem::path> dirs,
        std::function<void()> on_change, WatcherOptions options = {});

    ServiceDirWatcher(const ServiceDirWatcher&) = delete;
    ServiceDirWatcher& operator=(const ServiceDirWatcher&) = delete;

    // Re-syncs the set of watched directories with what is on disk. The watcher does this
    // itself before each on_change; calling it again is harmless.
    void refresh();

    // What could not be watched at the last refresh (EACCES, ENOSPC when
    // fs.inotify.max_user_watches is reached, a failed read of the inotify fd): changes
    // there go unnoticed. Bounded. A missing DIR is not listed: the scan reports it.
    const std::vector<services::Diagnostic>& diagnostics() const noexcept { return diagnostics_; }

    std::size_t watch_count() const noexcept { return watches_.size(); }

private:
    // What one inotify watch (one inode) is for; several roles when reached twice.
    struct Watch {
        std::filesystem::path path;        // the first path it was added by
        bool top = false;                  // a DIR
        bool service = false;              // a DIR/NAME
        bool log = false;                  // a DIR/NAME/log
        bool control = false;              // a DIR/NAME/control
        std::vector<std::string> awaited;  // missing children (a DIR or an ancestor of one)
    };
    struct Added {
        Watch* watch = nullptr;  // nullptr: not watched
        bool absent = false;     // ... because it is not a directory (or not there)
    };

    ServiceDirWatcher(core::EventLoop& loop, std::vector<std::filesystem::path> dirs,
                      std::function<void()> on_change, WatcherOptions options,
                      core::Inotify inotify);

    Added watch(std::map<int, Watch>& next, const std::filesystem::path& path);
    void watch_services(std::map<int, Watch>& next, const std::filesystem::path& dir,
                        std::size_t& service_dirs);
    void await_creation(std::map<int, Watch>& next, const std::filesystem::path& dir);
    void note(std::filesystem::path file, std::string message);

    void on_readable();
    bool relevant(const core::InotifyEvent& event) const;
    void schedule();
    void fire();

    core::EventLoop& loop_;
    std::vector<std::filesystem::path> dirs_;
    std::function<void()> on_change_;
    WatcherOptions options_;
    core::Inotify inotify_;

    std::map<int, Watch> watches_;  // by wd
    std::vector<services::Diagnostic> diagnostics_;
    std::size_t diagnostics_dropped_ = 0;
    std::string read_failure_;  // set once reading inotify failed for good

    core::WatchHandle fd_watch_;
    core::TimerHandle timer_;  // the debounce, only while a rescan is due
    std::chrono::steady_clock::time_point first_event_{};
};

}  // namespace svinit::config
