#pragma once
// Who gets one of the control socket's connection slots: a pure decision, so the limits
// are tested without sockets. Root and svinit's own user (the administrators) may use
// every slot; anyone else (members of the control group) shares all but
// kSlotsKeptForAdmins of them, at most kMaxConnectionsPerUid per uid. So one process
// holding idle connections cannot lock out `svctl check`, and a user cannot lock out
// the others. A client that gets no slot is answered `busy` at once and closed, never
// left in the listen queue.

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>

namespace svinit::control {

inline constexpr std::size_t kMaxConnections = 64;
inline constexpr std::size_t kSlotsKeptForAdmins = 8;
inline constexpr std::size_t kMaxConnectionsPerUid = 16;

struct SlotRequest {
    uid_t uid = 0;
    bool admin = false;           // root or svinit's own user
    std::size_t open = 0;         // connections served now
    std::size_t open_by_uid = 0;  // ... of them with this uid
};

// nullopt when the client gets a slot; otherwise why not, for its `busy` answer.
std::optional<std::string> refuse_slot(const SlotRequest& request);

}  // namespace svinit::control
