#pragma once
// How a captured line is written out: `NAME | text` (prefix mode) or one JSON object
// (json mode). Pure functions; docs/logging.md shows both.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "services/log_line.h"

namespace svinit::services {

// "web | text\n"; the rest of a cut line is "web + text\n". The text's bytes as they are.
std::string format_prefixed(std::string_view service, const LogLine& line);

// {"ts":"2026-11-28T01:45:00.123456Z","service":"web","stream":"stderr","msg":"text"}\n,
// with "cut":true on a line ended by the length bound and "continued":true on its rest.
// Always valid JSON and UTF-8, whatever the bytes: see append_json_string.
std::string format_json(std::string_view service, const LogLine& line);

// Appends `bytes` as a JSON string: '"', '\\' and control characters escaped, valid UTF-8
// kept, and every byte that is not part of valid UTF-8 written as U+FFFD.
void append_json_string(std::string& out, std::string_view bytes);

// RFC 3339 in UTC with microseconds: "2026-11-28T01:45:00.123456Z".
std::string rfc3339(std::chrono::system_clock::time_point time);
// Reads what rfc3339() writes (the fraction may have 0 to 9 digits); nullopt otherwise.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace svinit::services
