#pragma once
// The last lines of one service, kept in svinit's memory for `svctl logs`: bounded in
// bytes, the oldest lines going first.

#include <cstddef>
#include <deque>
#include <vector>

#include "services/log_line.h"

namespace svinit::services {

inline constexpr std::size_t kDefaultRingBytes = 64 * 1024;

class LogRing {
public:
    // What a line costs besides its text (its time, stream and place in the deque), so
    // that a flood of empty lines is bounded too.
    static constexpr std::size_t kLineOverhead = 48;

    explicit LogRing(std::size_t max_bytes = kDefaultRingBytes) : max_bytes_(max_bytes) {}

    // Keeps the line, dropping the oldest until the ring fits its bound. A line bigger
    // than the whole bound is not kept (nor is anything else then).
    void push(LogLine line);
    // The last `n` lines, oldest first (fewer when the ring holds fewer).
    std::vector<LogLine> last(std::size_t n) const;

    std::size_t size() const noexcept { return lines_.size(); }
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t max_bytes() const noexcept { return max_bytes_; }

private:
    static std::size_t cost(const LogLine& line) noexcept {
        return line.text.size() + kLineOverhead;
    }

    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::deque<LogLine> lines_;
};

// Of `lines` (oldest first), the last `n` read at `cutoff` or later (svctl logs --since).
std::vector<LogLine> lines_since(std::vector<LogLine> lines,
                                 std::chrono::system_clock::time_point cutoff, std::size_t n);

}  // namespace svinit::services
