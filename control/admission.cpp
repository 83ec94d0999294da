#include "control/admission.h"

namespace svinit::control {

std::optional<std::string> refuse_slot(const SlotRequest& r) {
    if (r.open >= kMaxConnections) {
        return "all " + std::to_string(kMaxConnections) +
               " connections are in use; try again later";
    }
    if (r.admin) return std::nullopt;
    if (r.open_by_uid >= kMaxConnectionsPerUid) {
        return "uid " + std::to_string(r.uid) + " has " + std::to_string(r.open_by_uid) +
               " connections open, the most one user may have";
    }
    if (r.open >= kMaxConnections - kSlotsKeptForAdmins) {
        return "the last " + std::to_string(kSlotsKeptForAdmins) + " of " +
               std::to_string(kMaxConnections) + " connections are kept for root";
    }
    return std::nullopt;
}

}  // namespace svinit::control
