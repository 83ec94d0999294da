#include "config/main_output.h"

#include <fmt/format.h>

#include <string>

#include "config/byte_size.h"

namespace svinit::config {

namespace {

namespace fs = std::filesystem;

// The same bounds as the flags: a file or ring of at least one byte, at most 1T.
constexpr std::uint64_t kMaxSize = std::uint64_t{1} << 40;

// A string key turned into a value by `parse`; its error is reported at the value.
template <typename T>
std::optional<T> parsed(TableReader& top, std::string_view key,
                        core::Result<T> (*parse)(std::string_view)) {
    auto text = top.string(key);
    if (!text) return std::nullopt;
    auto value = parse(*text);
    if (value) return std::move(*value);
    top.error(*top.node(key), key, value.error().message());
    top.forget_origin(key);
    return std::nullopt;
}

// An integer number of bytes or a string with a unit ("1M").
std::optional<std::uint64_t> size(TableReader& top, std::string_view key) {
    const toml::node* node = top.node(key);
    if (!node) return std::nullopt;
    std::optional<std::uint64_t> bytes;
    std::string why;
    if (const auto* number = node->as_integer()) {
        if (number->get() > 0) bytes = static_cast<std::uint64_t>(number->get());
    } else if (const auto* text = node->as_string()) {
        auto parsed_size = parse_size(text->get());
        if (parsed_size) {
            bytes = *parsed_size;
        } else {
            why = parsed_size.error().message();
        }
    } else {
        why = "expected a size such as \"1M\", got " + describe_value(*node);
    }
    if (why.empty() && (!bytes || *bytes == 0 || *bytes > kMaxSize)) {
        why = "expected a size from 1 byte to 1T";
    }
    if (!why.empty()) {
        top.error(*node, key, why);
        return std::nullopt;
    }
    top.record_origin(key, *node);
    return bytes;
}

}  // namespace

OutputSettings read_output_settings(TableReader& top, const fs::path& base_dir) {
    OutputSettings settings;
    settings.mode = parsed(top, "service-output", services::parse_output_mode);
    settings.when_full = parsed(top, "service-output-full", services::parse_full_policy);
    settings.prefix = parsed(top, "service-log-prefix", services::parse_prefix_format);
    if (auto dir = top.string("service-log-dir")) {
        if (dir->empty()) {
            top.error(*top.node("service-log-dir"), "service-log-dir", "must not be empty");
        } else {
            fs::path path(*dir);
            settings.dir = (path.is_relative() ? base_dir / path : path).lexically_normal();
        }
    }
    settings.max_size = size(top, "service-log-max-size");
    if (auto ring = size(top, "service-log-ring")) settings.ring_bytes = *ring;
    if (auto keep = top.integer("service-log-keep", 0, 1000)) {
        settings.keep = static_cast<unsigned>(*keep);
    }
    return settings;
}

void apply_output_settings(const OutputSettings& settings, services::LogSettings& into) {
    if (settings.mode) into.mode = *settings.mode;
    if (settings.when_full) into.when_full = *settings.when_full;
    if (settings.prefix) into.prefix = *settings.prefix;
    if (settings.dir) into.dir = *settings.dir;
    if (settings.max_size) into.max_size = *settings.max_size;
    if (settings.keep) into.keep = *settings.keep;
    if (settings.ring_bytes) into.ring_bytes = *settings.ring_bytes;
}

}  // namespace svinit::config
