#include "core/spawn_slots.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace svinit::core {

bool SpawnSlots::open_slots() {
    if (null_) return true;
    // Opened at the first spawn, when svinit holds few fds: they take the lowest free
    // numbers and keep them for svinit's life.
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null) return false;
    std::array<UniqueFd, kCount> slots{};
    int end = 0;
    for (auto& slot : slots) {
        slot.reset(::fcntl(null.get(), F_DUPFD_CLOEXEC, 0));
        if (!slot) return false;
        end = std::max(end, slot.get() + 1);
    }
    null_ = std::move(null);
    slots_ = std::move(slots);
    end_ = end;
    return true;
}

std::optional<SpawnSlots::Loaded> SpawnSlots::load(std::span<const int> fds) {
    if (fds.size() > kCount || !open_slots()) return std::nullopt;
    Loaded out{};
    out.fill(-1);
    loaded_ = true;
    for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i] < 0) continue;
        if (::dup3(fds[i], slots_[i].get(), O_CLOEXEC) < 0) {
            clear();
            return std::nullopt;
        }
        out[i] = slots_[i].get();
    }
    return out;
}

void SpawnSlots::clear() {
    if (!loaded_) return;
    for (auto& slot : slots_) ::dup3(null_.get(), slot.get(), O_CLOEXEC);
    loaded_ = false;
}

}  // namespace svinit::core
