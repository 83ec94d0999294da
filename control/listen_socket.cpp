#include "control/listen_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>

namespace svinit::control {
namespace {

// The socket's name inside the private directory, and what the private directory adds to
// the path bind() sees: ".svinit-XXXXXX/s".
constexpr const char* kTempName = "s";
constexpr std::size_t kPrivatePart = 16;
constexpr const char* kTrustRule =
    "it must be owned by root (or svinit's user) and writable by its owner only";

core::Result<sockaddr_un> make_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) {
        return core::error(ENAMETOOLONG, "control socket " + path + ": path longer than " +
                                             std::to_string(sizeof addr.sun_path - 1) + " bytes");
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    return addr;
}

std::string octal(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// The socket's path split into the directory part as written ("/run/svinit/", "" for a
// bare name) and the file name.
struct SplitPath {
    std::string dir;
    std::string name;
};

core::Result<SplitPath> split_path(const std::string& path) {
    if (path.empty()) return core::error(EINVAL, "control socket: empty path");
    const auto slash = path.rfind('/');
    SplitPath split{slash == std::string::npos ? "" : path.substr(0, slash + 1),
                    slash == std::string::npos ? path : path.substr(slash + 1)};
    if (split.name.empty() || split.name == "." || split.name == "..") {
        return core::error(EINVAL, "control socket " + path + ": names a directory, not a file");
    }
    return split;
}

// Gives a directory just created 0755, if it is still ours (not swapped for another one
// between mkdir and open).
core::Result<void> make_0755(int fd, const std::string& dir) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) return core::sys_error("stat " + dir);
    if (st.st_uid != ::geteuid()) {
        return core::error(EEXIST, "mkdir " + dir + ": replaced by someone else's directory");
    }
    if (::fchmod(fd, 0755) < 0) return core::sys_error("chmod " + dir);
    return {};
}

// mkdir -p of `dir`, returning an fd of it. Each component is opened relative to the one
// before, so what is checked and used later is the directory reached here, whatever is
// renamed on the way meanwhile. A directory created here gets 0755 whatever the umask, so
// group members can reach a 0660 socket; it is changed through its fd, never by path.
core::Result<core::UniqueFd> open_parents(const std::string& dir) {
    const char* start = dir.starts_with('/') ? "/" : ".";
    core::UniqueFd cur(::open(start, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cur) return core::sys_error(std::string("open ") + start);
    std::size_t begin = 0;
    while (begin < dir.size()) {
        std::size_t end = dir.find('/', begin);
        if (end == std::string::npos) end = dir.size();
        const std::string part = dir.substr(begin, end - begin);
        const std::string so_far = dir.substr(0, end);
        begin = end + 1;
        if (part.empty() || part == ".") continue;
        const bool created = ::mkdirat(cur.get(), part.c_str(), 0755) == 0;
        if (!created && errno != EEXIST) return core::sys_error("mkdir " + so_far);
        // An existing component may be a symlink (/var/run -> /run); one just created must
        // still be the directory we made.
        const int flags = created ? O_RDONLY | O_NOFOLLOW : O_PATH;
        core::UniqueFd next(::openat(cur.get(), part.c_str(), flags | O_DIRECTORY | O_CLOEXEC));
        if (!next) return core::sys_error("open " + so_far);
        if (created) {
            if (auto r = make_0755(next.get(), so_far); !r) return std::unexpected(r.error());
        }
        cur = std::move(next);
    }
    return cur;
}

// Whoever can write the socket's directory can replace the socket with a symlink or a
// socket of their own: as sshd does for its key files, only a directory that root (or
// svinit's user) alone can write is used.
core::Result<void> check_trusted(int dir_fd, const std::string& dir) {
    struct stat st {};
    if (::fstat(dir_fd, &st) < 0) return core::sys_error("stat " + dir);
    const std::string what = "control socket directory " + dir + ": ";
    const uid_t euid = ::geteuid();
    if (st.st_uid != 0 && st.st_uid != euid) {
        return core::error(0,
                           what + "owned by uid " + std::to_string(st.st_uid) + "; " + kTrustRule);
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        const char* who = (st.st_mode & S_IWOTH) != 0 ? "others" : "its group";
        return core::error(
            0, what + "writable by " + who + " (mode " + octal(st.st_mode) + "); " + kTrustRule);
    }
    if ((st.st_mode & S_ISVTX) != 0) {
        return core::error(0, what + "sticky (mode " + octal(st.st_mode) +
                                  "), a directory shared with other users; " + kTrustRule);
    }
    return {};
}

// A directory only svinit can enter, made inside the socket's directory (whose fd it
// keeps): the socket is bound, given its group and mode there, and then renamed into
// place, so no path outside it is ever followed after bind(). Removed (with the socket,
// unless that was renamed away) on destruction.
class PrivateDir {
public:
    static core::Result<PrivateDir> create(core::UniqueFd parent, const std::string& dir) {
        timespec now{};
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        auto seed =
            static_cast<std::uint64_t>(now.tv_nsec) ^ static_cast<std::uint64_t>(::getpid());
        // Names are not secret (no one else can write in `dir`); they only must not clash
        // with another svinit's that shares the directory, or with one a crash left.
        for (int attempt = 0; attempt < 100; ++attempt) {
            seed = seed * 6364136223846793005U + 1442695040888963407U;  // Knuth's MMIX LCG
            char name[16];
            std::snprintf(name, sizeof name, ".svinit-%06x",
                          static_cast<unsigned>((seed >> 40) & 0xffffff));
            if (::mkdirat(parent.get(), name, 0700) < 0) {
                if (errno == EEXIST) continue;
                return core::sys_error("mkdir " + dir + name);
            }
            PrivateDir made(std::move(parent), name);
            made.fd_ = core::UniqueFd(
                ::openat(made.parent(), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (!made.fd_) return core::sys_error("open " + dir + name);
            return made;
        }
        return core::error(EEXIST, "mkdir " + dir + ".svinit-*: every name tried exists");
    }

    PrivateDir(PrivateDir&& other) noexcept
        : parent_(std::move(other.parent_)),
          name_(std::exchange(other.name_, {})),
          fd_(std::move(other.fd_)) {}
    PrivateDir& operator=(PrivateDir&&) = delete;
    ~PrivateDir() {
        if (name_.empty()) return;
        const int saved = errno;
        if (fd_) ::unlinkat(fd_.get(), kTempName, 0);
        ::unlinkat(parent_.get(), name_.c_str(), AT_REMOVEDIR);
        errno = saved;
    }

    int parent() const noexcept { return parent_.get(); }
    int fd() const noexcept { return fd_.get(); }
    const std::string& name() const noexcept { return name_; }

private:
    PrivateDir(core::UniqueFd parent, std::string name)
        : parent_(std::move(parent)), name_(std::move(name)) {}

    core::UniqueFd parent_;  // the socket's directory
    std::string name_;       // of the private directory in it
    core::UniqueFd fd_;      // the private directory
};

// Binds and listens on PRIVATE/s and gives it exactly 0600, or 0660 and `group`, whatever
// the umask. Returns the socket, with the file's identity recorded in it.
core::Result<ListenSocket> bind_private(const PrivateDir& priv, const std::string& bind_path,
                                        std::optional<gid_t> group, int backlog) {
    auto addr = make_address(bind_path);
    if (!addr) return std::unexpected(addr.error());
    ListenSocket s;
    s.fd = core::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.fd) return core::sys_error("socket");
    if (::bind(s.fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) < 0) {
        return core::sys_error("bind " + bind_path);
    }
    // bind() resolved the path again: if a directory on it was swapped meanwhile, the file
    // is elsewhere, and PRIVATE/s (reached through our fd) does not exist.
    struct stat st {};
    if (::fstatat(priv.fd(), kTempName, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode)) {
        return core::error(ENOENT, "bind " + bind_path +
                                       ": the socket is not in the directory svinit made "
                                       "(was a directory on the path replaced?)");
    }
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    // No one else can enter the private directory: these names reach our socket and
    // nothing else. Group first, then the group bits: never 0660 with the wrong group.
    if (group &&
        ::fchownat(priv.fd(), kTempName, static_cast<uid_t>(-1), *group, AT_SYMLINK_NOFOLLOW) < 0) {
        return core::sys_error("chown control socket to group " + std::to_string(*group));
    }
    if (::fchmodat(priv.fd(), kTempName, group ? 0660 : 0600, 0) < 0) {
        return core::sys_error("chmod control socket");
    }
    if (::listen(s.fd.get(), backlog) < 0) return core::sys_error("listen " + bind_path);
    return s;
}

// A socket file left by an svinit that died is removed; a live one (something accepts
// or queues our connect) or any other kind of file is left alone and is an error.
core::Result<void> remove_stale(int dir_fd, const SplitPath& split, const std::string& path,
                                const sockaddr_un& addr) {
    struct stat st {};
    if (::fstatat(dir_fd, split.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return {};
        return core::sys_error("stat " + path);
    }
    if (!S_ISSOCK(st.st_mode)) {
        return core::error(EEXIST, "control socket " + path + ": exists and is not a socket");
    }
    const core::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!probe) return core::sys_error("socket");
    if (::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 ||
        errno == EAGAIN) {
        return core::error(EADDRINUSE,
                           "control socket " + path + ": another process listens on it");
    }
    if (::unlinkat(dir_fd, split.name.c_str(), 0) < 0 && errno != ENOENT) {
        return core::sys_error("unlink " + path);
    }
    return {};
}

// Moves PRIVATE/s to DIR/NAME, never replacing what is there (something that appeared
// since remove_stale). Filesystems without RENAME_NOREPLACE get a hard link, which never
// replaces either; the private directory's destructor removes the old name.
core::Result<void> move_into_place(const PrivateDir& priv, const SplitPath& split,
                                   const std::string& path) {
    const int dir_fd = priv.parent();
    if (::renameat2(priv.fd(), kTempName, dir_fd, split.name.c_str(), RENAME_NOREPLACE) == 0) {
        return {};
    }
    if (errno == EINVAL && ::linkat(priv.fd(), kTempName, dir_fd, split.name.c_str(), 0) == 0) {
        return {};
    }
    if (errno == EEXIST) {
        return core::error(EEXIST,
                           "control socket " + path + ": created by someone else meanwhile");
    }
    return core::sys_error("rename control socket to " + path);
}

}  // namespace

core::Result<ListenSocket> open_listen_socket(const std::string& path, std::optional<gid_t> group,
                                              int backlog) {
    auto split = split_path(path);
    if (!split) return std::unexpected(split.error());
    auto addr = make_address(path);
    if (!addr) return std::unexpected(addr.error());
    if (split->dir.size() + kPrivatePart >= sizeof addr->sun_path) {
        return core::error(ENAMETOOLONG,
                           "control socket " + path + ": directory longer than " +
                               std::to_string(sizeof addr->sun_path - kPrivatePart - 2) +
                               " bytes (svinit binds in a private directory inside it first)");
    }
    // For messages: "/run/svinit", "/" or ".".
    const std::string dir_name = split->dir.size() > 1 ? split->dir.substr(0, split->dir.size() - 1)
                                 : split->dir.empty()  ? "."
                                                       : "/";
    auto dir = open_parents(split->dir);
    if (!dir) return std::unexpected(dir.error());
    if (auto r = check_trusted(dir->get(), dir_name); !r) return std::unexpected(r.error());

    auto priv = PrivateDir::create(std::move(*dir), split->dir);
    if (!priv) return std::unexpected(priv.error());
    auto s = bind_private(*priv, split->dir + priv->name() + "/" + kTempName, group, backlog);
    if (!s) return std::unexpected(s.error());
    if (auto r = remove_stale(priv->parent(), *split, path, *addr); !r) {
        return std::unexpected(r.error());
    }
    if (auto r = move_into_place(*priv, *split, path); !r) {
        return std::unexpected(r.error());
    }
    return s;
}

void remove_socket_file(const std::string& path, const ListenSocket& socket) noexcept {
    const int saved = errno;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == socket.dev &&
        st.st_ino == socket.ino) {
        ::unlink(path.c_str());
    }
    errno = saved;
}

}  // namespace svinit::control
