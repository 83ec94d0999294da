#include "sandbox/credentials.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <vector>

#include "core/unique_fd.h"

namespace svinit::sandbox {

namespace {

constexpr std::size_t kMaxDatabase = 4 << 20;

// The colon-separated fields of the line whose first field is `name`.
std::optional<std::vector<std::string_view>> find_line(std::string_view text,
                                                       std::string_view name) {
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        std::vector<std::string_view> fields;
        while (true) {
            const auto colon = line.find(':');
            fields.push_back(line.substr(0, colon));
            if (colon == std::string_view::npos) break;
            line.remove_prefix(colon + 1);
        }
        if (fields.size() >= 4 && fields[0] == name) return fields;
    }
    return std::nullopt;
}

template <typename T>
std::optional<T> number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace

std::optional<Credentials> find_passwd_entry(std::string_view passwd, std::string_view name) {
    auto fields = find_line(passwd, name);
    if (!fields || fields->size() < 7) return std::nullopt;
    auto uid = number<uid_t>((*fields)[2]);
    auto gid = number<gid_t>((*fields)[3]);
    if (!uid || !gid) return std::nullopt;
    return Credentials{*uid, *gid};
}

std::optional<gid_t> find_group_entry(std::string_view group, std::string_view name) {
    auto fields = find_line(group, name);
    if (!fields) return std::nullopt;
    return number<gid_t>((*fields)[2]);
}

core::Result<std::string> read_in_root(const std::string& root, std::string_view inside,
                                       std::size_t max) {
    core::UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return core::sys_error(fmt::format("open {}", root));
    while (inside.starts_with('/')) inside.remove_prefix(1);
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const std::string path(inside);
    core::UniqueFd fd(
        static_cast<int>(::syscall(SYS_openat2, dir.get(), path.c_str(), &how, sizeof(how))));
    if (!fd) return core::sys_error(fmt::format("open {}/{}", root, path));
    std::string text;
    char buffer[8192];
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return core::sys_error(fmt::format("read {}/{}", root, path));
        if (n == 0) return text;
        if (text.size() + static_cast<std::size_t>(n) > max) {
            return core::error(EFBIG, fmt::format("{}/{}: more than {} bytes", root, path, max));
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

core::Result<Credentials> resolve_credentials(const std::string& root, const std::string& user,
                                              const std::string& group) {
    Credentials creds;
    if (!user.empty()) {
        if (auto uid = number<uid_t>(user)) {
            creds.uid = *uid;
            creds.gid = *uid;  // a bare number's group, unless group says otherwise
            if (auto passwd = read_in_root(root, "/etc/passwd", kMaxDatabase)) {
                std::string_view text = *passwd;
                // The primary group of the user with that number, when the root knows it.
                while (!text.empty()) {
                    const auto end = text.find('\n');
                    const std::string_view line = text.substr(0, end);
                    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
                    const auto name = line.substr(0, line.find(':'));
                    auto entry = find_passwd_entry(line, name);
                    if (entry && entry->uid == *uid) {
                        creds.gid = entry->gid;
                        break;
                    }
                }
            }
        } else {
            auto passwd = read_in_root(root, "/etc/passwd", kMaxDatabase);
            if (!passwd) {
                return core::error(passwd.error().code,
                                   fmt::format("user \"{}\": {}", user, passwd.error().message()));
            }
            auto entry = find_passwd_entry(*passwd, user);
            if (!entry) {
                return core::error(ENOENT,
                                   fmt::format("user \"{}\": not in {}/etc/passwd", user, root));
            }
            creds = *entry;
        }
    }
    if (!group.empty()) {
        if (auto gid = number<gid_t>(group)) {
            creds.gid = *gid;
        } else {
            auto text = read_in_root(root, "/etc/group", kMaxDatabase);
            if (!text) {
                return core::error(text.error().code,
                                   fmt::format("group \"{}\": {}", group, text.error().message()));
            }
            auto entry = find_group_entry(*text, group);
            if (!entry) {
                return core::error(ENOENT,
                                   fmt::format("group \"{}\": not in {}/etc/group", group, root));
            }
            creds.gid = *entry;
        }
    }
    return creds;
}

}  // namespace svinit::sandbox
