#include "control/runit_supervise_dir.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <string_view>

namespace svinit::control {
namespace {

// Two records this close in time are the same change: ProcessStatus::since is recomputed
// from the monotonic clock on every call, so it wobbles by microseconds.
constexpr auto kSameChange = std::chrono::milliseconds(1);

bool same_record(const RunitRecord& a, const RunitRecord& b) {
    auto apart = a.since > b.since ? a.since - b.since : b.since - a.since;
    return a.pid == b.pid && a.paused == b.paused && a.want_up == b.want_up &&
           a.got_term == b.got_term && a.state == b.state && apart < kSameChange;
}

// mkdir -p, the last one 0700 as runsv makes supervise/ (status is no one else's business).
core::Result<void> make_dirs(const std::filesystem::path& target) {
    std::filesystem::path prefix;
    auto last = std::prev(target.end());
    for (auto it = target.begin(); it != target.end(); ++it) {
        prefix /= *it;
        if (it->empty() || *it == "/") continue;
        mode_t mode = it == last ? 0700 : 0755;
        if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
            return core::sys_error("mkdir " + prefix.string());
        }
    }
    return {};
}

// DIR/supervise as a directory, following a symlink (and creating its missing target).
core::Result<void> ensure_dir(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) return core::sys_error("lstat " + path);
        if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
            return core::sys_error("mkdir " + path);
        }
        return {};
    }
    if (S_ISDIR(st.st_mode)) return {};
    if (!S_ISLNK(st.st_mode)) return core::error(ENOTDIR, path);
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return {};
        return core::error(ENOTDIR, path);
    }
    if (errno != ENOENT) return core::sys_error("stat " + path);
    std::array<char, 4096> buffer{};
    ssize_t length = ::readlink(path.c_str(), buffer.data(), buffer.size());
    if (length < 0) return core::sys_error("readlink " + path);
    if (static_cast<std::size_t>(length) == buffer.size()) {
        return core::error(ENAMETOOLONG, "readlink " + path);
    }
    std::filesystem::path target(std::string(buffer.data(), static_cast<std::size_t>(length)));
    if (target.is_relative()) target = std::filesystem::path(path).parent_path() / target;
    return make_dirs(target.lexically_normal());
}

// A FIFO at path (made 0600 if missing), opened with flags; anything else there is refused.
core::Result<core::UniqueFd> open_fifo(const std::string& path, int flags) {
    if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST) {
        return core::sys_error("mkfifo " + path);
    }
    core::UniqueFd fd(::open(path.c_str(), flags | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return core::sys_error("open " + path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return core::sys_error("fstat " + path);
    if (!S_ISFIFO(st.st_mode)) return core::error(EINVAL, path + " is not a FIFO");
    return fd;
}

// `ok`, held open for reading. A new one is made as ok.new, opened, and only then renamed
// into place, so that whoever sees `ok` appear (sv, a test watching with inotify) also
// finds a reader on it.
core::Result<core::UniqueFd> open_ok(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 || errno != ENOENT) return open_fifo(path, O_RDONLY);
    const std::string temp = path + ".new";
    if (::unlink(temp.c_str()) != 0 && errno != ENOENT) return core::sys_error("unlink " + temp);
    auto fd = open_fifo(temp, O_RDONLY);
    if (!fd) return fd;
    if (::rename(temp.c_str(), path.c_str()) != 0) return core::sys_error("rename " + temp);
    return fd;
}

// Writes path.new and renames it over path, as runsv does.
core::Result<void> replace_file(const std::string& path, std::string_view data) {
    const std::string temp = path + ".new";
    // O_NONBLOCK: should someone have put a FIFO there, open fails instead of hanging PID 1.
    core::UniqueFd fd(::open(
        temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) return core::sys_error("open " + temp);
    while (!data.empty()) {
        ssize_t n = ::write(fd.get(), data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return core::sys_error("write " + temp);
        if (n == 0) return core::error(EIO, "write " + temp);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    fd.reset();
    if (::rename(temp.c_str(), path.c_str()) != 0) return core::sys_error("rename " + temp);
    return {};
}

}  // namespace

SuperviseDir::SuperviseDir(std::string path, OnCommand on_command)
    : path_(std::move(path)), on_command_(std::move(on_command)) {}

core::Result<std::unique_ptr<SuperviseDir>> SuperviseDir::open(core::EventLoop& loop,
                                                               const std::string& dir,
                                                               const RunitRecord& first,
                                                               OnCommand on_command) {
    std::unique_ptr<SuperviseDir> self(
        new SuperviseDir(dir + "/supervise", std::move(on_command)));
    const std::string& path = self->path_;
    if (auto made = ensure_dir(path); !made) return std::unexpected(made.error());

    const std::string lock = path + "/lock";
    self->lock_.reset(::open(
        lock.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!self->lock_) return core::sys_error("open " + lock);
    if (::flock(self->lock_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            return core::error(errno, lock + " is held by another supervisor (a runsv?)");
        }
        return core::sys_error("flock " + lock);
    }

    auto control = open_fifo(path + "/control", O_RDWR);
    if (!control) return std::unexpected(control.error());
    self->control_ = std::move(*control);

    if (auto wrote = self->write(first); !wrote) return std::unexpected(wrote.error());

    auto ok = open_ok(path + "/ok");
    if (!ok) return std::unexpected(ok.error());
    self->ok_ = std::move(*ok);

    SuperviseDir* raw = self.get();
    auto watch = loop.watch_readable(raw->control_.get(), [raw] { raw->on_control_readable(); });
    if (!watch) return std::unexpected(watch.error());
    self->watch_ = std::move(*watch);
    return self;
}

// rm -rf of the service deletes these files and then rmdir()s supervise/: a file written
// in between makes that fail with "Directory not empty". So once a file we hold or wrote
// is gone, the directory is taken as going, and nothing is written there again.
bool SuperviseDir::going() {
    if (going_) return true;
    const auto unlinked = [](const core::UniqueFd& fd) {
        struct stat st {};
        return fd && ::fstat(fd.get(), &st) == 0 && st.st_nlink == 0;
    };
    const auto missing = [this](const char* name) {
        struct stat st {};
        return ::lstat((path_ + "/" + name).c_str(), &st) != 0 && errno == ENOENT;
    };
    going_ = unlinked(lock_) || unlinked(control_) || unlinked(ok_) ||
             (pid_written_ && missing("pid")) ||
             (status_written_ && (missing("stat") || missing("status")));
    if (going_) spdlog::debug("{}: being removed; no longer written", path_);
    return going_;
}

core::Result<void> SuperviseDir::write(const RunitRecord& record) {
    if (written_ && same_record(*written_, record)) return {};
    if (going()) return core::error(ENOENT, path_ + ": being removed; no longer written");
    auto wrote = write_files(record);
    // On failure, the next change tries again in full.
    if (!wrote) {
        written_.reset();
        pid_written_.reset();
        return wrote;
    }
    written_ = record;
    return {};
}

core::Result<void> SuperviseDir::write_files(const RunitRecord& record) {
    // Checked before each file, and after: rm may be half-way through. A file put in
    // place just as rm went by is taken back at once.
    const auto put = [this](const char* name, std::string_view data) -> core::Result<void> {
        if (going()) return core::error(ENOENT, path_ + ": being removed");
        const std::string path = path_ + "/" + name;
        if (auto ok = replace_file(path, data); !ok) return ok;
        if (!going()) return {};
        ::unlink(path.c_str());
        return core::error(ENOENT, path_ + ": being removed");
    };
    if (pid_written_ != record.pid) {
        if (auto ok = put("pid", pid_text(record.pid)); !ok) return ok;
        pid_written_ = record.pid;
    }
    if (auto ok = put("stat", stat_text(record)); !ok) return ok;
    const RunitStatusBytes bytes = encode_status(record);
    auto wrote =
        put("status", std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    if (wrote) status_written_ = true;
    return wrote;
}

void SuperviseDir::on_control_readable() {
    std::array<char, 64> buffer{};
    std::size_t taken = 0;
    while (taken < kMaxControlBytesPerWakeup) {
        ssize_t n = ::read(control_.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0) {
            // Not expected of a FIFO; stop watching rather than spin on a lasting error.
            spdlog::warn("read {}/control: {}; no longer read", path_, std::strerror(errno));
            watch_.reset();
            return;
        }
        if (n == 0) return;  // cannot happen while we hold a write end; be safe anyway
        taken += static_cast<std::size_t>(n);
        // The callback never destroys this object (the owner defers that to a later turn
        // of the loop), so the loop may go on after it.
        for (ssize_t i = 0; i < n; ++i) on_command_(buffer[static_cast<std::size_t>(i)]);
    }
}

}  // namespace svinit::control
