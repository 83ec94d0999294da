#include "config/env_file.h"

#include <fmt/format.h>

namespace svinit::config {

namespace {

std::string_view trim_left(std::string_view text) {
    const auto start = text.find_first_not_of(" \t");
    return start == std::string_view::npos ? std::string_view{} : text.substr(start);
}

std::string_view unquote(std::string_view value) {
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
        return value.substr(1, value.size() - 2);
    }
    return value;
}

}  // namespace

bool is_env_name(std::string_view name) {
    if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
    for (char c : name) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) return false;
    }
    return true;
}

std::vector<EnvVariable> parse_env_file(std::string_view text, const std::filesystem::path& file,
                                        Diagnostics& diags) {
    std::vector<EnvVariable> out;
    int line_number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        ++line_number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        line = trim_left(line);
        if (line.empty() || line.front() == '#') continue;
        if (line.find('\0') != std::string_view::npos) {
            diags.add(file, line_number, 0, "contains a NUL byte");
            continue;
        }
        if (line.starts_with("export ")) line = trim_left(line.substr(7));
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            diags.add(file, line_number, 0,
                      fmt::format("expected NAME=VALUE, got \"{}\"", line.substr(0, 60)));
            continue;
        }
        const std::string_view name = line.substr(0, eq);
        if (!is_env_name(name)) {
            diags.add(file, line_number, 0,
                      fmt::format("\"{}\" is not a variable name (letters, digits and _, not "
                                  "starting with a digit)",
                                  name.substr(0, 60)));
            continue;
        }
        if (out.size() >= kMaxEnvironment) {
            diags.add(file, line_number, 0,
                      fmt::format("more than {} variables; the rest are ignored", kMaxEnvironment));
            break;
        }
        out.push_back(
            EnvVariable{std::string(name), std::string(unquote(line.substr(eq + 1))), line_number});
    }
    return out;
}

}  // namespace svinit::config
