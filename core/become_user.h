#pragma once
// Dropping root for another user, as baseimage-docker's /sbin/setuser does before it execs:
// look the user up, initgroups, setgid, setuid. Every step is checked; a caller that gets
// an Error must not run anything (the process may be half-switched).

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace svinit::core {

struct UserInfo {
    std::string name;  // pw_name: for a numeric lookup, the passwd name of that uid
    uid_t uid = 0;
    gid_t gid = 0;  // the primary group
    std::string home;
};

// getpwnam(user); when there is no such name and `user` is all digits, getpwuid of that
// number. nullopt when the passwd database has neither; an Error when it cannot be read.
Result<std::optional<UserInfo>> lookup_user(std::string_view user);

// initgroups(name, gid), setgid(gid), setuid(uid), then checks that the real and effective
// ids are the user's and, unless uid is 0, that root cannot be regained. Needs root (or
// CAP_SETUID and CAP_SETGID).
Result<void> become_user(const UserInfo& user);

}  // namespace svinit::core
