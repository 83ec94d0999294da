#include "core/become_user.h"

#include <fmt/format.h>
#include <grp.h>
#include <unistd.h>

namespace svinit::core {

Result<void> become_user(const UserInfo& user) {
    // Groups first: once the uid is not 0 any more, the gids cannot be changed.
    auto groups = user_groups(user.name, user.gid);
    if (!groups) return std::unexpected(groups.error());
    if (::setgroups(groups->size(), groups->data()) != 0) {
        return sys_error(fmt::format("setgroups for {}", user.name));
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
