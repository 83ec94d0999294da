#pragma once
// Dropping root for another user, as baseimage-docker's /sbin/setuser does before it execs:
// look the user up, set its groups, setgid, setuid. Every step is checked; a caller that gets
// an Error must not run anything (the process may be half-switched).

#include "core/error.h"
#include "core/user_db.h"

namespace svinit::core {

// setgroups(the user's groups, core/user_db.h), setgid(gid), setuid(uid), then checks
// that the real and effective ids are the user's and, unless uid is 0, that root cannot be regained. Needs root (or
// CAP_SETUID and CAP_SETGID).
Result<void> become_user(const UserInfo& user);

}  // namespace svinit::core
