#pragma once
// How a captured line is written out: `NAME | text` (prefix mode) or one JSON object
// (json mode). Pure functions; docs/logging.md shows both.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "services/log_line.h"

namespace svinit::services {

// What stands before " | " in prefix mode, in the order given: the service's name, the
// stream ("stdout"/"stderr"), when svinit read the line as RFC 3339 (UTC, microseconds)
// or as TAI64N ("@4000000069..." as svlogd -t and tai64nlocal know it).
enum class PrefixField { Name, Stream, Rfc3339, Tai64n };
using PrefixFormat = std::vector<PrefixField>;

// "name", "stream,name", "rfc3339,name,stream"...: fields separated by commas, at least one,
// none twice; the error names the text and the fields.
core::Result<PrefixFormat> parse_prefix_format(std::string_view text);
// The default, "name".
inline PrefixFormat default_prefix_format() { return {PrefixField::Name}; }

// "web | text\n"; the rest of a cut line is "web + text\n". The text's bytes as they are.
// With a format, its fields separated by spaces: "2026-...Z web stderr | text\n".
std::string format_prefixed(std::string_view service, const LogLine& line);
std::string format_prefixed(std::string_view service, const LogLine& line,
                            const PrefixFormat& format);

// "@" and 24 hex digits: TAI64 seconds (2^62 + 10 + Unix seconds, as daemontools counts)
// and nanoseconds.
std::string tai64n(std::chrono::system_clock::time_point time);

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
