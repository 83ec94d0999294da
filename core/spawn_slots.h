#pragma once
// A few fixed, low fd numbers that carry a spawn's fds into the child, so the child can
// share svinit's fd table (CLONE_FILES) and then keep only the low end of it
// (close_range(end, ~0, CLOSE_RANGE_UNSHARE)): the kernel copies those few entries, not the
// whole table. Otherwise every spawn copies svinit's table, and every exec then closes each
// copied close-on-exec fd; at 10,000 services, 10,000 pidfds per spawn made a mass start
// quadratic (perf: do_close_on_exec 22% of the time, all up in 57 s).
//
// svinit is single-threaded and the child runs under CLONE_VFORK, so nothing else touches
// the slots between load() and clear().

#include <array>
#include <cstddef>
#include <optional>
#include <span>

#include "core/unique_fd.h"

namespace svinit::core {

class SpawnSlots {
public:
    static constexpr std::size_t kCount = 8;
    using Loaded = std::array<int, kCount>;

    // Copies `fds` (-1 entries stay -1) into slots, close-on-exec; the slot numbers in the
    // same order. nullopt when there are more than kCount or the slots cannot be opened.
    std::optional<Loaded> load(std::span<const int> fds);
    // Points every slot back at /dev/null, so no slot keeps a pipe or socket alive.
    void clear();
    // One past the highest slot: the child keeps fds [0, end()).
    int end() const noexcept { return end_; }

private:
    bool open_slots();

    UniqueFd null_;
    std::array<UniqueFd, kCount> slots_{};
    int end_ = 0;
    bool loaded_ = false;
};

}  // namespace svinit::core
