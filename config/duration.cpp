#include "config/duration.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <utility>

namespace svinit::config {
namespace {

using std::chrono::milliseconds;

struct Unit {
    std::string_view name;
    std::int64_t ms;
};

// Longest names first: "ms" must not be read as "m" then "s".
constexpr std::array<Unit, 4> kUnits{{{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}}};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

core::Result<services::Duration> fail(std::string_view text, std::string_view why) {
    return core::error(0, fmt::format("\"{}\": {}", text, why));
}

}  // namespace

core::Result<services::Duration> parse_duration(std::string_view text) {
    if (text.empty())
        return fail(text, "empty duration (write e.g. \"10s\", \"250ms\", \"1m30s\")");
    const std::int64_t max_ms = std::chrono::duration_cast<milliseconds>(kMaxDuration).count();
    std::int64_t total_ms = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_digit(text[i])) {
            return fail(text, fmt::format("expected a number at \"{}\" (write e.g. \"10s\", "
                                          "\"250ms\", \"1m30s\")",
                                          text.substr(i)));
        }
        std::int64_t number = 0;
        for (; i < text.size() && is_digit(text[i]); ++i) {
            number = number * 10 + (text[i] - '0');
            if (number > max_ms) return fail(text, "too long (at most 366 days)");
        }
        const std::size_t unit_start = i;
        while (i < text.size() && !is_digit(text[i])) ++i;
        const std::string_view unit = text.substr(unit_start, i - unit_start);
        if (unit.empty()) {
            return fail(
                text, fmt::format("{} needs a unit (ms, s, m or h), e.g. \"{}s\"", number, number));
        }
        const Unit* found = nullptr;
        for (const Unit& candidate : kUnits) {
            if (candidate.name == unit) found = &candidate;
        }
        if (!found) return fail(text, fmt::format("unknown unit \"{}\" (use ms, s, m or h)", unit));
        if (number > (max_ms - total_ms) / found->ms)
            return fail(text, "too long (at most 366 days)");
        total_ms += number * found->ms;
    }
    return milliseconds(total_ms);
}

std::string format_duration(services::Duration d) {
    std::int64_t ms = std::chrono::duration_cast<milliseconds>(d).count();
    if (ms <= 0) return "0s";
    std::string out;
    for (auto it = kUnits.rbegin(); it != kUnits.rend(); ++it) {
        if (ms >= it->ms) {
            out += fmt::format("{}{}", ms / it->ms, it->name);
            ms %= it->ms;
        }
    }
    return out;
}

}  // namespace svinit::config
