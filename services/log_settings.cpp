#include "services/log_settings.h"

#include <fmt/format.h>

#include <string>

namespace svinit::services {

std::string_view to_string(OutputMode mode) noexcept {
    switch (mode) {
        case OutputMode::Inherit:
            return "inherit";
        case OutputMode::Prefix:
            return "prefix";
        case OutputMode::Json:
            return "json";
        case OutputMode::File:
            return "file";
    }
    return "inherit";
}

core::Result<OutputMode> parse_output_mode(std::string_view text) {
    for (OutputMode mode :
         {OutputMode::Inherit, OutputMode::Prefix, OutputMode::Json, OutputMode::File}) {
        if (text == to_string(mode)) return mode;
    }
    // fmt, not "\"" + string: GCC 12 at -O3 warns falsely (-Wrestrict) on that.
    return core::error(
        0, fmt::format("\"{}\" is not an output mode (inherit, prefix, json or file)", text));
}

core::Result<FullPolicy> parse_full_policy(std::string_view text) {
    if (text == "block") return FullPolicy::Block;
    if (text == "drop") return FullPolicy::Drop;
    return core::error(0, fmt::format("\"{}\" is neither block nor drop", text));
}

}  // namespace svinit::services
