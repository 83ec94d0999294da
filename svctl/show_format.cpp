#include "svctl/show_format.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace svinit::svctl {
namespace {

// Wider keys and values are not padded: their comment follows two spaces later.
constexpr std::size_t kMaxAlign = 48;

bool is_bare_key(std::string_view key) {
    return !key.empty() && std::ranges::all_of(key, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

std::string quoted(std::string_view text) {
    return nlohmann::json(std::string(text))
        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string header(std::string_view name) {
    return "[services." + (is_bare_key(name) ? std::string(name) : quoted(name)) + "]";
}

}  // namespace

std::string format_definition(std::string_view name, const control::Definition& definition) {
    std::vector<std::string> lines;
    std::size_t width = 0;
    for (const auto& entry : definition.entries) {
        lines.push_back(entry.key + " = " + entry.value);
        if (lines.back().size() <= kMaxAlign) width = std::max(width, lines.back().size());
    }
    std::string text = header(name) + "  # " + definition.source + ", " + definition.defined_at;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        text += "\n" + line;
        text.append(line.size() < width ? width - line.size() : 0, ' ');
        text += "  # " + definition.entries[i].origin;
    }
    return text;
}

std::string definition_json(std::span<const control::ServiceResult> results,
                            std::span<const std::string> display_names) {
    auto list = nlohmann::json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& result = results[i];
        nlohmann::json j;
        j["service"] = i < display_names.size() ? display_names[i] : result.service;
        if (result.error != control::ErrorCode::None || !result.definition) {
            j["error"] = control::to_string(result.error == control::ErrorCode::None
                                                ? control::ErrorCode::Failed
                                                : result.error);
            j["message"] = result.message;
            list.push_back(std::move(j));
            continue;
        }
        j["source"] = result.definition->source;
        j["defined_at"] = result.definition->defined_at;
        auto values = nlohmann::json::array();
        for (const auto& entry : result.definition->entries) {
            auto value = nlohmann::json::parse(entry.value, nullptr, false);
            if (value.is_discarded()) value = entry.value;
            values.push_back(
                {{"key", entry.key}, {"value", std::move(value)}, {"origin", entry.origin}});
        }
        j["values"] = std::move(values);
        list.push_back(std::move(j));
    }
    nlohmann::json doc;
    doc["services"] = std::move(list);
    return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace svinit::svctl
