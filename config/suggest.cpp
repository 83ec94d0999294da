#include "config/suggest.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace svinit::config {

// Optimal string alignment distance over a band of width 2*limit+1 around the diagonal:
// cells outside it are more than `limit` anyway.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
    const std::size_t over = limit + 1;
    const std::size_t la = a.size(), lb = b.size();
    if ((la > lb ? la - lb : lb - la) > limit) return over;
    // Three rows: i-2, i-1, i. Out-of-band cells hold `over`.
    std::vector<std::size_t> before(lb + 1, over), previous(lb + 1, over), current(lb + 1, over);
    for (std::size_t j = 0; j <= std::min(lb, limit); ++j) previous[j] = j;
    for (std::size_t i = 1; i <= la; ++i) {
        std::fill(current.begin(), current.end(), over);
        const std::size_t from = i > limit ? i - limit : 0;
        const std::size_t to = std::min(lb, i + limit);
        if (from == 0) current[0] = i;
        std::size_t row_min = from == 0 ? current[0] : over;
        for (std::size_t j = std::max<std::size_t>(from, 1); j <= to; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t best =
                std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                best = std::min(best, before[j - 2] + 1);
            }
            current[j] = std::min(best, over);
            row_min = std::min(row_min, current[j]);
        }
        if (row_min > limit) return over;
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return std::min(previous[lb], over);
}

namespace {

template <typename Candidates>
std::string_view closest_in(std::string_view word, const Candidates& candidates) {
    const std::size_t limit = std::min<std::size_t>(2, word.size() / 3);
    std::string_view best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate, limit);
        if (d < best_distance && d > 0) {
            best = candidate;
            best_distance = d;
        }
    }
    return best;
}

}  // namespace

std::string_view closest(std::string_view word, std::span<const std::string_view> candidates) {
    return closest_in(word, candidates);
}

std::string_view closest(std::string_view word, std::span<const std::string> candidates) {
    return closest_in(word, candidates);
}

std::string did_you_mean(std::string_view suggestion) {
    if (suggestion.empty()) return "";
    return fmt::format("; did you mean \"{}\"?", suggestion);
}

}  // namespace svinit::config
