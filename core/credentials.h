#pragma once
// The user, group and supplementary groups a service runs as, from names or numbers to the
// ids core/spawn.h sets in the child. Looked up in the parent, before the clone (core/user_db.h):
// the child may not read files or call into NSS.

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/spawn.h"

namespace svinit::core {

struct CredentialRequest {
    std::string user;                 // name or number; empty: svinit's own
    std::string group;                // name or number; empty: the user's primary group
    std::vector<std::string> groups;  // empty: the user's (initgroups), or svinit's own
};

// The ids for `request`, plus the user's home directory and name (for HOME and USER);
// nullopt credentials when the request changes nothing. Errors name what is missing:
// "user 'app' does not exist".
struct ResolvedCredentials {
    std::optional<SpawnCredentials> ids;
    std::string user_name;  // empty without a user
    std::string home;
};
Result<ResolvedCredentials> resolve_credentials(const CredentialRequest& request);

}  // namespace svinit::core
