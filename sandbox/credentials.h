#pragma once
// Who the worker is inside its root: `user` and `group` are looked up in the root's own
// /etc/passwd and /etc/group (opened with RESOLVE_IN_ROOT, so a symlink in the root cannot
// point the lookup at the host's files), before clone.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace svinit::sandbox {

struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
    bool operator==(const Credentials&) const = default;
};

// Pure: the uid and primary gid of `name` in passwd text, or the gid of `name` in group
// text. nullopt when there is no such entry.
std::optional<Credentials> find_passwd_entry(std::string_view passwd, std::string_view name);
std::optional<gid_t> find_group_entry(std::string_view group, std::string_view name);

// `user` and `group` as the spec gives them (names, numbers, or empty for root and the
// user's primary group).
core::Result<Credentials> resolve_credentials(const std::string& root, const std::string& user,
                                              const std::string& group);

// Reads root/inside, resolved inside root, at most `max` bytes.
core::Result<std::string> read_in_root(const std::string& root, std::string_view inside,
                                       std::size_t max);

}  // namespace svinit::sandbox
