#pragma once
// "Did you mean ...?" for misspelt keys and service names.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace svinit::config {

// The edit distance (insert, delete, substitute, swap two neighbours) between a and b, or
// limit + 1 when it is more than `limit`. Costs O(len * limit), so long hostile strings
// stay cheap.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// The candidate closest to `word`, when one is close enough to be a likely typo (one edit
// per three letters of `word`, at most 2); empty otherwise. Ties: the first.
std::string_view closest(std::string_view word, std::span<const std::string_view> candidates);
std::string_view closest(std::string_view word, std::span<const std::string> candidates);

// "; did you mean \"restart\"?" or "" when nothing is close.
std::string did_you_mean(std::string_view suggestion);

}  // namespace svinit::config
