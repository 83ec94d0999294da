#pragma once
// Users and groups, read from /etc/passwd and /etc/group by svinit itself: a static svinit
// has no NSS, and a container's root is where its users are. The dynamic build falls back
// to NSS (getpwnam_r and friends) for names the files do not have, as on a host with LDAP.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace svinit::core {

struct UserInfo {
    std::string name;  // for a numeric lookup, the passwd name of that uid
    uid_t uid = 0;
    gid_t gid = 0;  // the primary group
    std::string home;
    bool operator==(const UserInfo&) const = default;
};

// Pure: the entry for `name` (or for `uid`) in passwd text, the gid of group `name` in
// group text, and the groups whose member list names `user`, `primary` first (what
// getgrouplist gives). Malformed lines are skipped.
std::optional<UserInfo> find_user(std::string_view passwd, std::string_view name);
std::optional<UserInfo> find_user(std::string_view passwd, uid_t uid);
std::optional<gid_t> find_group(std::string_view group, std::string_view name);
std::vector<gid_t> member_groups(std::string_view group, std::string_view user, gid_t primary);

// root/inside, resolved inside root (a symlink cannot lead out of it), at most `max` bytes.
Result<std::string> read_in_root(const std::string& root, std::string_view inside,
                                 std::size_t max);

// The passwd or group file of `root` ("/" for svinit's own); empty when there is none.
Result<std::string> read_user_file(const std::string& root, std::string_view name);

// `user` by name; when there is no such name and `user` is all digits, by that uid.
// nullopt when no database has it; an Error when one cannot be read.
Result<std::optional<UserInfo>> lookup_user(std::string_view user);

// A group by name or number; nullopt when there is none by that name.
Result<std::optional<gid_t>> lookup_group(const std::string& group);

// The supplementary groups of `user` with primary group `gid` (what initgroups sets).
Result<std::vector<gid_t>> user_groups(const std::string& user, gid_t gid);

}  // namespace svinit::core
