#include "sandbox/credentials.h"

#include <fmt/format.h>


#include "core/parse_number.h"
#include "core/user_db.h"

namespace svinit::sandbox {

core::Result<Credentials> resolve_credentials(const std::string& root, const std::string& user,
                                              const std::string& group) {
    Credentials creds;
    if (!user.empty()) {
        if (auto uid = core::parse_number<uid_t>(user)) {
            creds.uid = *uid;
            creds.gid = *uid;  // a bare number's group, unless group says otherwise
            // The primary group of the user with that number, when the root knows it.
            if (auto passwd = core::read_user_file(root, "/etc/passwd")) {
                if (auto entry = core::find_user(*passwd, *uid)) creds.gid = entry->gid;
            }
        } else {
            auto passwd = core::read_user_file(root, "/etc/passwd");
            if (!passwd) {
                return core::error(passwd.error().code,
                                   fmt::format("user \"{}\": {}", user, passwd.error().message()));
            }
            auto entry = core::find_user(*passwd, user);
            if (!entry) {
                return core::error(ENOENT,
                                   fmt::format("user \"{}\": not in {}/etc/passwd", user, root));
            }
            creds = Credentials{entry->uid, entry->gid};
        }
    }
    if (!group.empty()) {
        if (auto gid = core::parse_number<gid_t>(group)) {
            creds.gid = *gid;
        } else {
            auto text = core::read_user_file(root, "/etc/group");
            if (!text) {
                return core::error(text.error().code,
                                   fmt::format("group \"{}\": {}", group, text.error().message()));
            }
            auto entry = core::find_group(*text, group);
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
