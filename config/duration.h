#pragma once
// Durations as the TOML files write them: "250ms", "10s", "2m", "1h", "1m30s".

#include <string>
#include <string_view>

#include "core/error.h"
#include "services/service_spec.h"

namespace svinit::config {

// The longest duration any key accepts, well below what nanoseconds can hold.
inline constexpr services::Duration kMaxDuration = std::chrono::hours(24 * 366);

// One or more NUMBER UNIT parts, units ms, s, m, h in any order, e.g. "1m30s", "0s". No
// signs, fractions or spaces. Errors name the text: `"10x": unknown unit "x" (use ms, s,
// m or h)`.
core::Result<services::Duration> parse_duration(std::string_view text);

// The shortest text parse_duration reads back as `d` (sub-millisecond parts are dropped):
// "1m30s", "250ms", "0s".
std::string format_duration(services::Duration d);

}  // namespace svinit::config
