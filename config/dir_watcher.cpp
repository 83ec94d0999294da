#include "config/dir_watcher.h"

#include "config/runit_dir.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>

#include "config/runit_dir.h"

namespace svinit::config {

namespace {

namespace fs = std::filesystem;

// One mask for every watch: see the header. IN_ONLYDIR makes watching a plain file fail
// with ENOTDIR, which saves a stat() per entry.
constexpr std::uint32_t kMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB |
                                IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// Events that concern the watched directory itself, whatever its role.
constexpr std::uint32_t kSelfEvents = IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT;

constexpr std::size_t kReadLimit = 1024;     // events per callback; more come next turn
constexpr std::size_t kMaxDiagnostics = 32;  // then one summary line
constexpr int kMaxDepth = 64;                // ancestors climbed for a missing DIR

constexpr std::array<std::string_view, 5> kServiceNames{"run", "finish", "down", "log", "control"};
constexpr std::array<std::string_view, 3> kLogNames{"run", "finish", "down"};

bool is_control_script(std::string_view name) {
    return name.size() == 1 && std::string_view(kControlScripts).find(name[0]) != std::string_view::npos;
}

bool is_one_of(std::string_view name, std::span<const std::string_view> names) {
    return std::ranges::find(names, name) != names.end();
}

// "/etc/service/" -> "/etc/service": the last component is what a parent announces.
fs::path without_trailing_slash(fs::path path) {
    if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();
    return path;
}

}  // namespace

core::Result<std::unique_ptr<ServiceDirWatcher>> ServiceDirWatcher::create(
    core::EventLoop& loop, std::vector<fs::path> dirs, std::function<void()> on_change,
    WatcherOptions options) {
    auto inotify = core::Inotify::open();
    if (!inotify) return std::unexpected(inotify.error());
    for (auto& dir : dirs) dir = without_trailing_slash(std::move(dir));
    std::unique_ptr<ServiceDirWatcher> watcher(new ServiceDirWatcher(
        loop, std::move(dirs), std::move(on_change), options, std::move(*inotify)));
    auto* self = watcher.get();
    auto watch = loop.watch_readable(self->inotify_.fd(), [self] { self->on_readable(); });
    if (!watch) return std::unexpected(watch.error());
    self->fd_watch_ = std::move(*watch);
    self->refresh();
    return watcher;
}

ServiceDirWatcher::ServiceDirWatcher(core::EventLoop& loop, std::vector<fs::path> dirs,
                                     std::function<void()> on_change, WatcherOptions options,
                                     core::Inotify inotify)
    : loop_(loop),
      dirs_(std::move(dirs)),
      on_change_(std::move(on_change)),
      options_(options),
      inotify_(std::move(inotify)) {}

void ServiceDirWatcher::refresh() {
    diagnostics_.clear();
    diagnostics_dropped_ = 0;
    if (!read_failure_.empty()) {
        note(dirs_.empty() ? fs::path() : dirs_.front(),
             read_failure_ + "; service directories are no longer watched");
    }
    std::map<int, Watch> next;
    std::size_t service_dirs = 0;
    for (const fs::path& dir : dirs_) {
        const Added top = watch(next, dir);
        if (top.watch) {
            top.watch->top = true;
            watch_services(next, dir, service_dirs);
        } else if (top.absent) {
            await_creation(next, dir);
        }
    }
    // Watches of directories that went away; the kernel may have dropped them already
    // (EINVAL), which is fine.
    for (const auto& [wd, unused] : watches_) {
        if (!next.contains(wd)) (void)inotify_.remove_watch(wd);
    }
    watches_ = std::move(next);
    if (diagnostics_dropped_ > 0) {
        diagnostics_.push_back(services::Diagnostic{
            dirs_.empty() ? fs::path() : dirs_.front(), 0,
            fmt::format("{} more directories could not be watched", diagnostics_dropped_)});
    }
}

ServiceDirWatcher::Added ServiceDirWatcher::watch(std::map<int, Watch>& next,
                                                  const fs::path& path) {
    const auto wd = inotify_.add_watch(path, kMask);
    if (!wd) {
        const int code = wd.error().code;
        if (code == ENOENT || code == ENOTDIR) return Added{nullptr, true};
        std::string message = fmt::format("cannot watch: {}", std::strerror(code));
        if (code == ENOSPC) message += " (raise fs.inotify.max_user_watches)";
        note(path, std::move(message));
        return Added{};
    }
    auto [it, inserted] = next.try_emplace(*wd);
    if (inserted) it->second.path = path;
    return Added{&it->second, false};
}

void ServiceDirWatcher::watch_services(std::map<int, Watch>& next, const fs::path& dir,
                                       std::size_t& service_dirs) {
    std::error_code ec;
    std::size_t entries = 0;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (++entries > kMaxEntriesPerDir) break;
        const std::string name = it->path().filename().string();
        if (name.empty() || name.front() == '.') continue;
        const fs::path service_dir = dir / name;
        const Added service = watch(next, service_dir);
        if (!service.watch) continue;
        service.watch->service = true;
        if (const Added log = watch(next, service_dir / "log"); log.watch) log.watch->log = true;
        if (const Added control = watch(next, service_dir / "control"); control.watch) {
            control.watch->control = true;
        }
        if (++service_dirs >= kMaxServices) {
            note(dir, fmt::format("more than {} service directories; the rest are not watched",
                                  kMaxServices));
            break;
        }
    }
    if (ec) note(dir, fmt::format("cannot read service directory: {}", ec.message()));
}

// DIR does not exist (yet): watch the nearest ancestor that does, for the next missing
// component. When it appears, the refresh that follows climbs down one level.
void ServiceDirWatcher::await_creation(std::map<int, Watch>& next, const fs::path& dir) {
    fs::path missing = dir;
    for (int depth = 0; depth < kMaxDepth; ++depth) {
        fs::path parent = missing.parent_path();
        if (parent.empty()) parent = ".";
        if (parent == missing) return;  // "/" or "." missing: nothing above to watch
        const Added above = watch(next, parent);
        if (above.watch) {
            above.watch->awaited.push_back(missing.filename().string());
            return;
        }
        if (!above.absent) return;  // could not watch it (already noted)
        missing = std::move(parent);
    }
}

void ServiceDirWatcher::note(fs::path file, std::string message) {
    if (diagnostics_.size() >= kMaxDiagnostics) {
        ++diagnostics_dropped_;
        return;
    }
    diagnostics_.push_back(services::Diagnostic{std::move(file), 0, std::move(message)});
}

void ServiceDirWatcher::on_readable() {
    auto events = inotify_.read_events(kReadLimit);
    if (!events) {
        // Not expected from a kernel; stop watching rather than spin on a readable fd,
        // and let the rescan report it through diagnostics().
        read_failure_ = events.error().message();
        fd_watch_.reset();
        schedule();
        return;
    }
    bool changed = false;
    for (const core::InotifyEvent& event : *events) {
        if (relevant(event)) changed = true;
        // The kernel dropped this watch (its directory is gone): forget the wd so a
        // later refresh does not remove it again.
        if ((event.mask & IN_IGNORED) != 0) watches_.erase(event.wd);
    }
    if (changed) schedule();  // last: on_change may destroy *this
}

bool ServiceDirWatcher::relevant(const core::InotifyEvent& event) const {
    if (event.overflow()) return true;
    const auto found = watches_.find(event.wd);
    if (found == watches_.end()) return false;  // removed by a refresh: old news
    if ((event.mask & kSelfEvents) != 0) return true;
    const Watch& watch = found->second;
    const std::string_view name = event.name;
    if (name.empty()) return false;  // the directory's own attributes
    if (watch.top && name.front() != '.') return true;
    if (watch.service && is_one_of(name, kServiceNames)) return true;
    if (watch.log && is_one_of(name, kLogNames)) return true;
    if (watch.control && is_control_script(name)) return true;
    return std::ranges::find(watch.awaited, name) != watch.awaited.end();
}

void ServiceDirWatcher::schedule() {
    const auto now = loop_.now();
    if (timer_) {
        // Push the rescan back, but never past max_delay after the first event.
        if (now + options_.debounce > first_event_ + options_.max_delay) return;
        timer_.reset();
    } else {
        first_event_ = now;
    }
    auto timer = loop_.add_timer(options_.debounce, false, [this] { fire(); });
    if (!timer) {
        fire();  // no timer to be had: rescan now rather than never
        return;
    }
    timer_ = std::move(*timer);
}

void ServiceDirWatcher::fire() {
    timer_.release();
    refresh();
    auto on_change = on_change_;  // *this may not survive the call
    on_change();
}

}  // namespace svinit::config
