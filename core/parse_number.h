#pragma once
// A decimal number that is the whole text, or nullopt: no sign for unsigned types, no
// space, no trailing bytes (std::from_chars, which knows no locale).

#include <charconv>
#include <optional>
#include <string_view>

namespace svinit::core {

template <typename T>
std::optional<T> parse_number(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

}  // namespace svinit::core
