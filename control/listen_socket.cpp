#include "control/listen_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace svinit::control {
namespace {

core::Result<sockaddr_un> make_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty()) return core::error(EINVAL, "control socket: empty path");
    if (path.size() >= sizeof addr.sun_path) {
        return core::error(ENAMETOOLONG, "control socket " + path + ": path longer than " +
                                             std::to_string(sizeof addr.sun_path - 1) + " bytes");
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    return addr;
}

// mkdir -p of the directory part of path; directories created here get 0755 whatever
// the umask, so group members can reach a 0660 socket.
core::Result<void> make_parents(const std::string& path) {
    for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
        const std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0755) == 0) {
            if (::chmod(dir.c_str(), 0755) < 0) return core::sys_error("chmod " + dir);
        } else if (errno != EEXIST) {
            return core::sys_error("mkdir " + dir);
        }
    }
    return {};
}

// A socket file left by an svinit that died is removed; a live one (something accepts
// or queues our connect) or any other kind of file is left alone and is an error.
core::Result<void> remove_stale(const std::string& path, const sockaddr_un& addr) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) {
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
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) return core::sys_error("unlink " + path);
    return {};
}

}  // namespace

core::Result<ListenSocket> open_listen_socket(const std::string& path, std::optional<gid_t> group,
                                              int backlog) {
    auto addr = make_address(path);
    if (!addr) return std::unexpected(addr.error());
    if (auto r = make_parents(path); !r) return std::unexpected(r.error());
    if (auto r = remove_stale(path, *addr); !r) return std::unexpected(r.error());

    ListenSocket s;
    s.fd = core::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.fd) return core::sys_error("socket");
    // bind creates the file with the socket inode's mode (minus the umask): set 0600
    // first, so the file is never more open than that, not even for a moment.
    if (::fchmod(s.fd.get(), 0600) < 0) return core::sys_error("fchmod control socket");
    if (::bind(s.fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) < 0) {
        return core::sys_error("bind " + path);
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) < 0) return core::sys_error("stat " + path);
    s.dev = st.st_dev;
    s.ino = st.st_ino;
    // From here on the file is ours: remove it again if anything fails.
    auto fail = [&](const std::string& what) {
        auto err = core::sys_error(what);
        remove_socket_file(path, s);
        return err;
    };
    if (group) {
        // Group first, then the group bits: never 0660 with the wrong group.
        if (::chown(path.c_str(), static_cast<uid_t>(-1), *group) < 0) return fail("chown " + path);
        if (::chmod(path.c_str(), 0660) < 0) return fail("chmod " + path);
    } else if (::chmod(path.c_str(), 0600) < 0) {
        return fail("chmod " + path);
    }
    if (::listen(s.fd.get(), backlog) < 0) return fail("listen " + path);
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
