#include "config/byte_size.h"

#include <fmt/format.h>

#include <charconv>

namespace svinit::config {

namespace {

constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 62;

}  // namespace

core::Result<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end == text.data()) {
        return core::error(0, fmt::format("\"{}\": expected a size such as \"256M\", \"1G\" or "
                                          "\"65536\"",
                                          text));
    }
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    int shift = 0;
    if (unit.size() == 1) {
        switch (unit.front()) {
            case 'K':
            case 'k':
                shift = 10;
                break;
            case 'M':
            case 'm':
                shift = 20;
                break;
            case 'G':
            case 'g':
                shift = 30;
                break;
            case 'T':
            case 't':
                shift = 40;
                break;
            default:
                return core::error(
                    0, fmt::format("\"{}\": unknown unit \"{}\" (use K, M, G or T)", text, unit));
        }
    } else if (!unit.empty()) {
        return core::error(
            0, fmt::format("\"{}\": unknown unit \"{}\" (use K, M, G or T)", text, unit));
    }
    if (value > (kMaxSize >> shift)) return core::error(0, fmt::format("\"{}\": too large", text));
    return value << shift;
}

}  // namespace svinit::config
