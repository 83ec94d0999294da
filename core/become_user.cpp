#include "core/become_user.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace svinit::core {

namespace {

// getpwnam_r/getpwuid_r with a buffer that grows on ERANGE (up to 1 MiB: a bound, not
// a limit any real passwd entry reaches).
template <typename Lookup>
Result<std::optional<UserInfo>> lookup(Lookup&& call, const std::string& what) {
    std::vector<char> buffer(4096);
    for (;;) {
        struct passwd entry {};
        struct passwd* found = nullptr;
        const int rc = call(&entry, buffer.data(), buffer.size(), &found);
        if (rc == ERANGE && buffer.size() < (1U << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        // ENOENT, ESRCH, EBADF, EPERM: documented ways for some NSS modules to say "no such
        // user"; treat them as that, as getpwnam's callers usually do.
        if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) {
            if (found == nullptr) return std::optional<UserInfo>();
            return UserInfo{found->pw_name, found->pw_uid, found->pw_gid, found->pw_dir};
        }
        return error(rc, "look up user " + what);
    }
}

std::optional<uid_t> parse_uid(std::string_view text) {
    uid_t uid = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), uid);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return uid;
}

}  // namespace

Result<std::optional<UserInfo>> lookup_user(std::string_view user) {
    const std::string name(user);
    auto by_name = lookup(
        [&name](passwd* entry, char* buffer, std::size_t size, passwd** found) {
            return ::getpwnam_r(name.c_str(), entry, buffer, size, found);
        },
        name);
    if (!by_name || *by_name) return by_name;
    const auto uid = parse_uid(user);
    if (!uid) return by_name;
    return lookup([uid](passwd* entry, char* buffer, std::size_t size,
                        passwd** found) { return ::getpwuid_r(*uid, entry, buffer, size, found); },
                  name);
}

Result<void> become_user(const UserInfo& user) {
    // Groups first: once the uid is not 0 any more, the gids cannot be changed.
    if (::initgroups(user.name.c_str(), user.gid) != 0) {
        return sys_error(fmt::format("initgroups {} {}", user.name, user.gid));
    }
    if (::setgid(user.gid) != 0) return sys_error(fmt::format("setgid {}", user.gid));
    if (::setuid(user.uid) != 0) return sys_error(fmt::format("setuid {}", user.uid));
    if (::getuid() != user.uid || ::geteuid() != user.uid || ::getgid() != user.gid ||
        ::getegid() != user.gid) {
        return error(0, fmt::format("setuid {}/setgid {} did not take", user.uid, user.gid));
    }
    if (user.uid != 0 && ::setuid(0) == 0) {
        return error(0, fmt::format("setuid {}: root could be regained", user.uid));
    }
    return {};
}

}  // namespace svinit::core
