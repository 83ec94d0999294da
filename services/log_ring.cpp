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

}  // namespace svinit::services
