#include "control/peer_auth.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "core/unique_fd.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59  // Linux 4.13
#endif

namespace svinit::control {
namespace {

// The kernel's NGROUPS_MAX.
constexpr std::size_t kMaxGroups = 65536;

std::optional<std::vector<gid_t>> socket_groups(int fd) {
    std::vector<gid_t> groups(64);
    for (;;) {
        auto len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
            groups.resize(len / sizeof(gid_t));
            return groups;
        }
        // ERANGE: len now says how much room is needed.
        if (errno != ERANGE || len / sizeof(gid_t) <= groups.size()) return std::nullopt;
        if (len / sizeof(gid_t) > kMaxGroups) return std::nullopt;
        groups.resize(len / sizeof(gid_t));
    }
}

// /proc/PID/status is read once, bounded; a peer that has exited reads as no groups.
std::optional<std::vector<gid_t>> proc_groups(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/status";
    const core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return std::nullopt;
    std::string text;
    std::array<char, 4096> buf{};
    constexpr std::size_t kMaxStatusBytes = 1024 * 1024;
    while (text.size() < kMaxStatusBytes) {
        const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf.data(), static_cast<std::size_t>(n));
    }
    return parse_status_groups(text);
}

}  // namespace

core::Result<PeerCredentials> peer_credentials(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        return core::sys_error("getsockopt SO_PEERCRED");
    }
    return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

bool peer_is_admin(const PeerCredentials& peer, const AccessPolicy& policy) {
    return peer.uid == 0 || peer.uid == policy.owner;
}

bool peer_allowed(int fd, const PeerCredentials& peer, const AccessPolicy& policy) {
    if (peer_is_admin(peer, policy)) return true;
    if (!policy.group) return false;
    if (peer.gid == *policy.group) return true;
    auto groups = socket_groups(fd);
    if (!groups && peer.pid > 0) groups = proc_groups(peer.pid);
    return groups && std::ranges::find(*groups, *policy.group) != groups->end();
}

std::optional<std::vector<gid_t>> parse_status_groups(std::string_view text) {
    constexpr std::string_view kKey = "Groups:";
    std::size_t at = 0;
    while (at < text.size() && text.substr(at, kKey.size()) != kKey) {
        const std::size_t nl = text.find('\n', at);
        if (nl == std::string_view::npos) return std::nullopt;
        at = nl + 1;
    }
    if (at >= text.size()) return std::nullopt;
    std::string_view line = text.substr(at + kKey.size());
    line = line.substr(0, line.find('\n'));
    std::vector<gid_t> groups;
    const char* p = line.data();
    const char* const end = line.data() + line.size();
    while (p < end) {
        if (*p == ' ' || *p == '\t') {
            ++p;
            continue;
        }
        gid_t gid = 0;
        const auto [next, ec] = std::from_chars(p, end, gid);
        if (ec != std::errc{}) return std::nullopt;
        groups.push_back(gid);
        p = next;
    }
    return groups;
}

std::string describe(const PeerCredentials& peer) {
    return "pid " + std::to_string(peer.pid) + " uid " + std::to_string(peer.uid) + " gid " +
           std::to_string(peer.gid);
}

}  // namespace svinit::control
