#include "core/credentials.h"

#include <fmt/format.h>
#include <unistd.h>


#include "core/user_db.h"

namespace svinit::core {
namespace {

Result<std::vector<gid_t>> own_groups() {
    const int count = ::getgroups(0, nullptr);
    if (count < 0) return sys_error("getgroups");
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    if (::getgroups(count, groups.data()) < 0) return sys_error("getgroups");
    return groups;
}

}  // namespace

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
