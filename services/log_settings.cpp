#include "services/log_settings.h"

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
    return core::error(0, "\"" + std::string(text) +
                                   "\" is not an output mode (inherit, prefix, json or file)");
}

core::Result<FullPolicy> parse_full_policy(std::string_view text) {
    if (text == "block") return FullPolicy::Block;
    if (text == "drop") return FullPolicy::Drop;
    return core::error(0, "\"" + std::string(text) + "\" is neither block nor drop");
}

}  // namespace svinit::services
