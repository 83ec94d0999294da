#pragma once
// "--name=value" split into name and inline value, for svinit's and svctl's parsers.

#include <optional>
#include <string_view>

namespace svinit::core {

struct Flag {
    std::string_view name;
    std::optional<std::string_view> inline_value;  // the part after '=', if any
};

inline Flag split_flag(std::string_view arg) {
    auto eq = arg.find('=');
    if (eq == std::string_view::npos) return {arg, std::nullopt};
    return {arg.substr(0, eq), arg.substr(eq + 1)};
}

}  // namespace svinit::core
