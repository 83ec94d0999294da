#pragma once
// Parsing one TOML file with toml++, safely: toml++ recurses once per level of a dotted key
// (`a.b.c...`) and crashes on a few ten thousand levels, so the text is checked for that
// first. Internal to config/.

#include <toml++/toml.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>

#include "config/diagnostics.h"

namespace svinit::config {

// More key nesting than any configuration needs, and far below what toml++ survives.
inline constexpr std::size_t kMaxDotsPerLine = 256;

// The file's table, or nullopt with the syntax error (toml++'s description at its line and
// column) added to `diags`. `file` names the text in messages.
std::optional<toml::table> parse_toml(std::string_view text, const std::filesystem::path& file,
                                      Diagnostics& diags);

// The first line with more than `max_dots` dots outside strings and comments (keys nest
// one level per dot), or 0 when there is none. A float's dot counts too: harmless at
// this bound.
int first_line_nested_deeper(std::string_view text, std::size_t max_dots);

// "FILE:LINE:COLUMN" of a toml++ node or key, as a Diagnostic's fields.
inline int line_of(const toml::source_region& at) {
    return static_cast<int>(at.begin.line);
}
inline int column_of(const toml::source_region& at) {
    return static_cast<int>(at.begin.column);
}

}  // namespace svinit::config
