#include "config/toml_document.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace svinit::config {

namespace {

// Where a string that starts at text[i] ends (the index past its closing delimiter), for
// the four kinds of TOML strings. A single-line string also ends at a newline (which
// toml++ then reports).
std::size_t skip_string(std::string_view text, std::size_t i) {
    const char quote = text[i];
    const bool escapes = quote == '"';
    const bool multi = text.substr(i, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
    std::size_t j = i + (multi ? 3 : 1);
    while (j < text.size()) {
        const char c = text[j];
        if (escapes && c == '\\') {
            j += 2;
            continue;
        }
        if (!multi && c == '\n') return j;
        if (c == quote) {
            if (!multi) return j + 1;
            if (text.substr(j, 3).size() == 3 && text[j + 1] == quote && text[j + 2] == quote) {
                j += 3;
                // Up to two more quotes belong to the string: """a"""" is a" .
                for (int extra = 0; extra < 2 && j < text.size() && text[j] == quote; ++extra) ++j;
                return j;
            }
        }
        ++j;
    }
    // An escape's backslash as the last byte steps past the end: never past the text.
    return std::min(j, text.size());
}

}  // namespace

int first_line_nested_deeper(std::string_view text, std::size_t max_dots) {
    int line = 1;
    std::size_t dots = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"' || c == '\'') {
            const std::size_t end = skip_string(text, i);
            for (std::size_t k = i; k < end; ++k) {
                if (text[k] == '\n') {
                    ++line;
                    dots = 0;
                }
            }
            i = end;
            continue;
        }
        if (c == '#') {
            while (i < text.size() && text[i] != '\n') ++i;
            continue;
        }
        if (c == '\n') {
            ++line;
            dots = 0;
        } else if (c == '.' && ++dots > max_dots) {
            return line;
        }
        ++i;
    }
    return 0;
}

std::optional<toml::table> parse_toml(std::string_view text, const std::filesystem::path& file,
                                      Diagnostics& diags) {
    if (const int line = first_line_nested_deeper(text, kMaxDotsPerLine); line > 0) {
        diags.add(
            file, line, 1,
            fmt::format("keys nested too deeply (more than {} dots on one line)", kMaxDotsPerLine));
        return std::nullopt;
    }
    const std::string source = file.string();
#if TOML_EXCEPTIONS
    try {
        return toml::parse(text, std::string_view(source));
    } catch (const toml::parse_error& e) {
        diags.add(file, line_of(e.source()), column_of(e.source()),
                  fmt::format("TOML syntax error: {}", e.description()));
        return std::nullopt;
    }
#else
    toml::parse_result result = toml::parse(text, std::string_view(source));
    if (!result) {
        const auto& e = result.error();
        diags.add(file, line_of(e.source()), column_of(e.source()),
                  fmt::format("TOML syntax error: {}", e.description()));
        return std::nullopt;
    }
    return std::move(result).table();
#endif
}

}  // namespace svinit::config
