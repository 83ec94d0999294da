#include "core/credentials.h"

#include <fmt/format.h>
#include <grp.h>
#include <unistd.h>

#include <charconv>

#include "core/become_user.h"

namespace svinit::core {
namespace {

// More groups than this is a broken group database, not a user.
constexpr int kMaxGroups = 4096;

std::optional<unsigned> parse_id(const std::string& text) {
    unsigned id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return id;
}

Result<std::vector<gid_t>> user_groups(const std::string& name, gid_t gid) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    while (::getgrouplist(name.c_str(), gid, groups.data(), &count) < 0) {
        if (count > kMaxGroups) return error(E2BIG, fmt::format("groups of user '{}'", name));
        groups.resize(static_cast<std::size_t>(count));
    }
    groups.resize(static_cast<std::size_t>(count));
    return groups;
}

Result<std::vector<gid_t>> own_groups() {
    const int count = ::getgroups(0, nullptr);
    if (count < 0) return sys_error("getgroups");
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgroups(count, groups.data()) < 0) return sys_error("getgroups");
    return groups;
}

}  // namespace

Result<std::optional<gid_t>> lookup_group(const std::string& group) {
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
        if (found != nullptr) return std::optional<gid_t>(found->gr_gid);
        if (auto id = parse_id(group)) return std::optional<gid_t>(static_cast<gid_t>(*id));
        return std::optional<gid_t>();
    }
}

Result<ResolvedCredentials> resolve_credentials(const CredentialRequest& request) {
    ResolvedCredentials out;
    if (request.user.empty() && request.group.empty() && request.groups.empty()) return out;
    SpawnCredentials ids{::getuid(), ::getgid(), {}};
    if (!request.user.empty()) {
        auto user = lookup_user(request.user);
        if (!user) return std::unexpected(user.error());
        if (!*user) return error(ENOENT, fmt::format("user '{}' does not exist", request.user));
        ids.uid = (*user)->uid;
        ids.gid = (*user)->gid;
        out.user_name = (*user)->name;
        out.home = (*user)->home;
    }
    if (!request.group.empty()) {
        auto gid = lookup_group(request.group);
        if (!gid) return std::unexpected(gid.error());
        if (!*gid) return error(ENOENT, fmt::format("group '{}' does not exist", request.group));
        ids.gid = **gid;
    }
    for (const auto& name : request.groups) {
        auto gid = lookup_group(name);
        if (!gid) return std::unexpected(gid.error());
        if (!*gid) return error(ENOENT, fmt::format("group '{}' does not exist", name));
        ids.groups.push_back(**gid);
    }
    if (request.groups.empty()) {
        auto groups = out.user_name.empty() ? own_groups() : user_groups(out.user_name, ids.gid);
        if (!groups) return std::unexpected(groups.error());
        ids.groups = std::move(*groups);
    }
    out.ids = std::move(ids);
    return out;
}

}  // namespace svinit::core
