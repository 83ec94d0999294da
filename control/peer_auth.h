#pragma once
// Who is on the other end of a control connection, and whether they may talk to svinit:
// root, svinit's own user, or (when configured) members of the control group.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace svinit::control {

struct AccessPolicy {
    uid_t owner = 0;             // svinit's effective uid
    std::optional<gid_t> group;  // --control-group
};

struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

// SO_PEERCRED of a connected unix socket: the peer as it was when it connected.
core::Result<PeerCredentials> peer_credentials(int fd);

// Root or svinit's own user: always allowed, and not held to the per-user connection
// limit (control/admission.h).
bool peer_is_admin(const PeerCredentials& peer, const AccessPolicy& policy);

// Decides, reading the peer's supplementary groups only when the answer depends on them:
// first SO_PEERGROUPS (Linux 4.13; the groups at connect time, so no pid-reuse race),
// else the "Groups:" line of /proc/PID/status.
bool peer_allowed(int fd, const PeerCredentials& peer, const AccessPolicy& policy);

// The gids on the "Groups:" line of a /proc/PID/status text; nullopt if there is none
// or it does not parse.
std::optional<std::vector<gid_t>> parse_status_groups(std::string_view status_text);

// For log lines: "pid 42 uid 1000 gid 1000".
std::string describe(const PeerCredentials& peer);

}  // namespace svinit::control
