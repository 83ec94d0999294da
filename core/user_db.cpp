#include "core/user_db.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#ifndef SVINIT_NO_NSS
#include <grp.h>
#include <pwd.h>
#endif

#include "core/parse_number.h"
#include "core/unique_fd.h"

namespace svinit::core {

namespace {

// A bound, not a size any real database reaches.
constexpr std::size_t kMaxDatabase = 4 << 20;
constexpr int kMaxGroups = 4096;

// Calls `each` with the colon-separated fields of every line of `text` that has at least
// `min_fields`; stops when `each` returns true.
template <typename Each>
void for_each_entry(std::string_view text, std::size_t min_fields, Each&& each) {
    std::vector<std::string_view> fields;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        fields.clear();
        while (true) {
            const auto colon = line.find(':');
            fields.push_back(line.substr(0, colon));
            if (colon == std::string_view::npos) break;
            line.remove_prefix(colon + 1);
        }
        if (fields.size() >= min_fields && each(fields)) return;
    }
}

std::optional<UserInfo> passwd_fields(const std::vector<std::string_view>& fields) {
    auto uid = parse_number<uid_t>(fields[2]);
    auto gid = parse_number<gid_t>(fields[3]);
    if (!uid || !gid) return std::nullopt;
    return UserInfo{std::string(fields[0]), *uid, *gid, std::string(fields[5])};
}

#ifndef SVINIT_NO_NSS
// getpwnam_r/getpwuid_r with a buffer that grows on ERANGE (up to 1 MiB).
template <typename Lookup>
Result<std::optional<UserInfo>> nss_user(Lookup&& call, const std::string& what) {
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

Result<std::optional<gid_t>> nss_group(const std::string& group) {
    std::vector<char> buffer(4096);
    for (;;) {
        struct group entry {};
        struct group* found = nullptr;
        const int rc = ::getgrnam_r(group.c_str(), &entry, buffer.data(), buffer.size(), &found);
        if (rc == ERANGE && buffer.size() < (1U << 20)) {
            buffer.resize(buffer.size() * 2);
            continue;
        }
        if (rc != 0 && rc != ENOENT && rc != ESRCH && rc != EBADF && rc != EPERM) {
            return error(rc, "look up group " + group);
        }
        if (found == nullptr) return std::optional<gid_t>();
        return std::optional<gid_t>(found->gr_gid);
    }
}
#endif

}  // namespace

std::optional<UserInfo> find_user(std::string_view passwd, std::string_view name) {
    std::optional<UserInfo> out;
    for_each_entry(passwd, 7, [&](const auto& fields) {
        if (fields[0] != name) return false;
        out = passwd_fields(fields);
        return out.has_value();
    });
    return out;
}

std::optional<UserInfo> find_user(std::string_view passwd, uid_t uid) {
    std::optional<UserInfo> out;
    for_each_entry(passwd, 7, [&](const auto& fields) {
        auto entry = passwd_fields(fields);
        if (!entry || entry->uid != uid) return false;
        out = std::move(entry);
        return true;
    });
    return out;
}

std::optional<gid_t> find_group(std::string_view group, std::string_view name) {
    std::optional<gid_t> out;
    for_each_entry(group, 3, [&](const auto& fields) {
        if (fields[0] != name) return false;
        out = parse_number<gid_t>(fields[2]);
        return out.has_value();
    });
    return out;
}

std::vector<gid_t> member_groups(std::string_view group, std::string_view user, gid_t primary) {
    std::vector<gid_t> out{primary};
    for_each_entry(group, 4, [&](const auto& fields) {
        auto gid = parse_number<gid_t>(fields[2]);
        if (!gid || std::ranges::find(out, *gid) != out.end()) return false;
        std::string_view members = fields[3];
        while (!members.empty()) {
            const auto comma = members.find(',');
            if (members.substr(0, comma) == user) {
                out.push_back(*gid);
                break;
            }
            members.remove_prefix(comma == std::string_view::npos ? members.size() : comma + 1);
        }
        return out.size() >= static_cast<std::size_t>(kMaxGroups);
    });
    return out;
}

Result<std::string> read_in_root(const std::string& root, std::string_view inside,
                                 std::size_t max) {
    UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return sys_error(fmt::format("open {}", root));
    while (inside.starts_with('/')) inside.remove_prefix(1);
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const std::string path(inside);
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, dir.get(), path.c_str(), &how, sizeof(how))));
    if (!fd) return sys_error(fmt::format("open {}/{}", root == "/" ? "" : root, path));
    std::string text;
    char buffer[8192];
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys_error(fmt::format("read {}/{}", root, path));
        if (n == 0) return text;
        if (text.size() + static_cast<std::size_t>(n) > max) {
            return error(EFBIG, fmt::format("{}/{}: more than {} bytes", root, path, max));
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

Result<std::string> read_user_file(const std::string& root, std::string_view name) {
    auto text = read_in_root(root, name, kMaxDatabase);
    // An image without the file (FROM scratch) has no users but root's numbers.
    if (!text && text.error().code == ENOENT) return std::string();
    return text;
}

Result<std::optional<UserInfo>> lookup_user(std::string_view user) {
    auto users = read_user_file("/", "/etc/passwd");
    if (!users) return std::unexpected(users.error());
    if (auto found = find_user(*users, user)) return found;
    const auto uid = parse_number<uid_t>(user);
    if (uid) {
        if (auto found = find_user(*users, *uid)) return found;
    }
#ifndef SVINIT_NO_NSS
    const std::string name(user);
    auto by_name = nss_user(
        [&name](struct passwd* entry, char* buffer, std::size_t size, struct passwd** found) {
            return ::getpwnam_r(name.c_str(), entry, buffer, size, found);
        },
        name);
    if (!by_name || *by_name || !uid) return by_name;
    return nss_user(
        [uid](struct passwd* entry, char* buffer, std::size_t size, struct passwd** found) {
            return ::getpwuid_r(*uid, entry, buffer, size, found);
        },
        name);
#else
    return std::optional<UserInfo>();
#endif
}

Result<std::optional<gid_t>> lookup_group(const std::string& group) {
    auto text = read_user_file("/", "/etc/group");
    if (!text) return std::unexpected(text.error());
    if (auto gid = find_group(*text, group)) return gid;
#ifndef SVINIT_NO_NSS
    auto found = nss_group(group);
    if (!found || *found) return found;
#endif
    if (auto gid = parse_number<gid_t>(group)) return std::optional<gid_t>(*gid);
    return std::optional<gid_t>();
}

Result<std::vector<gid_t>> user_groups(const std::string& user, gid_t gid) {
#ifndef SVINIT_NO_NSS
    // NSS's answer includes the files' (and LDAP's, where configured).
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    while (::getgrouplist(user.c_str(), gid, groups.data(), &count) < 0) {
        if (count > kMaxGroups) return error(E2BIG, fmt::format("groups of user '{}'", user));
        groups.resize(static_cast<std::size_t>(count));
    }
    groups.resize(static_cast<std::size_t>(count));
    return groups;
#else
    auto text = read_user_file("/", "/etc/group");
    if (!text) return std::unexpected(text.error());
    return member_groups(*text, user, gid);
#endif
}

}  // namespace svinit::core
