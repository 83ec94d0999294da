#pragma once
// Who the worker is inside its root: `user` and `group` are looked up in the root's own
// /etc/passwd and /etc/group (opened with RESOLVE_IN_ROOT, so a symlink in the root cannot
// point the lookup at the host's files), before clone.

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/error.h"

namespace svinit::sandbox {

struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
    bool operator==(const Credentials&) const = default;
};

// `user` and `group` as the spec gives them (names, numbers, or empty for root and the
// user's primary group).
core::Result<Credentials> resolve_credentials(const std::string& root, const std::string& user,
                                              const std::string& group);

}  // namespace svinit::sandbox
