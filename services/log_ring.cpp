#include "services/log_ring.h"

#include <algorithm>

namespace svinit::services {

void LogRing::push(LogLine line) {
    bytes_ += cost(line);
    lines_.push_back(std::move(line));
    while (bytes_ > max_bytes_ && !lines_.empty()) {
        bytes_ -= cost(lines_.front());
        lines_.pop_front();
    }
}

std::vector<LogLine> LogRing::last(std::size_t n) const {
    const std::size_t count = std::min(n, lines_.size());
    return {lines_.end() - static_cast<std::ptrdiff_t>(count), lines_.end()};
}

std::vector<LogLine> lines_since(std::vector<LogLine> lines,
                                 std::chrono::system_clock::time_point cutoff, std::size_t n) {
    // Lines come in the order svinit read them, so their times never go back (but for a
    // clock set back, when a later line may look older: it is left out, not reordered).
    auto first = std::find_if(lines.rbegin(), lines.rend(),
                              [&](const LogLine& line) { return line.time < cutoff; })
                     .base();
    if (static_cast<std::size_t>(lines.end() - first) > n) first = lines.end() - static_cast<std::ptrdiff_t>(n);
    lines.erase(lines.begin(), first);
    return lines;
}

}  // namespace svinit::services
