#include "config/toml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "config/duration.h"
#include "config/suggest.h"
#include "config/toml_document.h"

namespace svinit::config {

namespace {

// A value as a message quotes it: bounded, so a 64 KiB string does not become the message.
std::string shown_text(std::string_view text) {
    constexpr std::size_t kShown = 60;
    if (text.size() <= kShown) return fmt::format("\"{}\"", text);
    return fmt::format("\"{}...\"", text.substr(0, kShown));
}

}  // namespace

bool has_nul(std::string_view text) {
    return text.find('\0') != std::string_view::npos;
}

std::string describe_value(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string:
            return "string " + shown_text(node.as_string()->get());
        case toml::node_type::integer:
            return fmt::format("integer {}", node.as_integer()->get());
        case toml::node_type::floating_point:
            return fmt::format("float {}", node.as_floating_point()->get());
        case toml::node_type::boolean:
            return fmt::format("boolean {}", node.as_boolean()->get());
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

std::optional<std::string> string_value(const toml::node& node, std::string_view what,
                                        std::size_t max, const ReadScope& scope) {
    const auto& at = node.source();
    const auto* value = node.as_string();
    if (!value) {
        scope.diags->add(scope.file, line_of(at), column_of(at),
                         fmt::format("{}: expected a string, got {}", what, describe_value(node)));
        return std::nullopt;
    }
    const std::string& text = value->get();
    if (text.size() > max) {
        scope.diags->add(scope.file, line_of(at), column_of(at),
                         fmt::format("{}: longer than {} bytes", what, max));
        return std::nullopt;
    }
    if (has_nul(text)) {
        scope.diags->add(scope.file, line_of(at), column_of(at),
                         fmt::format("{}: contains a NUL character", what));
        return std::nullopt;
    }
    return text;
}

TableReader::TableReader(const toml::table& table, std::string path, std::string origin_prefix,
                         ReadScope scope)
    : table_(&table),
      path_(std::move(path)),
      origin_prefix_(std::move(origin_prefix)),
      scope_(std::move(scope)) {}

std::string TableReader::path_of(std::string_view key) const {
    if (path_.empty()) return std::string(key);
    return fmt::format("{}.{}", path_, key);
}

const toml::node* TableReader::node(std::string_view key) {
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
    return table_->get(key);
}

void TableReader::error_at(const toml::source_region& at, std::string_view key,
                           std::string_view message) {
    const std::string where = key.empty() ? path_ : path_of(key);
    scope_.diags->add(scope_.file, line_of(at), column_of(at),
                      where.empty() ? std::string(message) : fmt::format("{}: {}", where, message));
}

void TableReader::error(const toml::node& at, std::string_view key, std::string_view message) {
    error_at(at.source(), key, message);
}

void TableReader::error_here(std::string_view message) {
    error_at(table_->source(), "", message);
}

void TableReader::record_origin(std::string_view key, const toml::node& at) {
    if (!scope_.origins) return;
    (*scope_.origins)[origin_prefix_ + std::string(key)] =
        services::Origin{scope_.file.string(), line_of(at.source()), column_of(at.source())};
}

void TableReader::forget_origin(std::string_view key) {
    if (!scope_.origins) return;
    if (auto found = scope_.origins->find(origin_prefix_ + std::string(key));
        found != scope_.origins->end()) {
        scope_.origins->erase(found);
    }
}

std::optional<std::string> TableReader::string(std::string_view key, std::size_t max) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    auto text = string_value(*value, path_of(key), max, scope_);
    if (text) record_origin(key, *value);
    return text;
}

std::optional<bool> TableReader::boolean(std::string_view key) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    if (const auto* b = value->as_boolean()) {
        record_origin(key, *value);
        return b->get();
    }
    error(*value, key, fmt::format("expected true or false, got {}", describe_value(*value)));
    return std::nullopt;
}

std::optional<std::int64_t> TableReader::integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    const auto* i = value->as_integer();
    if (!i) {
        error(*value, key, fmt::format("expected an integer, got {}", describe_value(*value)));
        return std::nullopt;
    }
    if (i->get() < min || i->get() > max) {
        error(*value, key,
              fmt::format("expected an integer from {} to {}, got {}", min, max, i->get()));
        return std::nullopt;
    }
    record_origin(key, *value);
    return i->get();
}

std::optional<double> TableReader::number(std::string_view key, double min, double max) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    double number = 0;
    if (const auto* i = value->as_integer()) {
        number = static_cast<double>(i->get());
    } else if (const auto* f = value->as_floating_point()) {
        number = f->get();
    } else {
        error(*value, key, fmt::format("expected a number, got {}", describe_value(*value)));
        return std::nullopt;
    }
    if (!std::isfinite(number) || number < min || number > max) {
        error(*value, key,
              fmt::format("expected a number from {} to {}, got {}", min, max, number));
        return std::nullopt;
    }
    record_origin(key, *value);
    return number;
}

std::optional<services::Duration> TableReader::duration(std::string_view key,
                                                        services::Duration min,
                                                        services::Duration max) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    const auto* text = value->as_string();
    if (!text) {
        std::string hint;
        if (const auto* i = value->as_integer()) hint = fmt::format(" (write \"{}s\")", i->get());
        error(*value, key,
              fmt::format("expected a duration such as \"10s\", \"250ms\" or \"1m30s\", got {}{}",
                          describe_value(*value), hint));
        return std::nullopt;
    }
    auto parsed = parse_duration(text->get());
    if (!parsed) {
        error(*value, key, parsed.error().message());
        return std::nullopt;
    }
    if (*parsed < min || *parsed > max) {
        error(*value, key,
              fmt::format("expected a duration from {} to {}, got {}", format_duration(min),
                          format_duration(max), shown_text(text->get())));
        return std::nullopt;
    }
    record_origin(key, *value);
    return *parsed;
}

std::optional<std::vector<std::string>> TableReader::strings(std::string_view key,
                                                             std::size_t max_items,
                                                             std::size_t max_bytes) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    const auto* array = value->as_array();
    if (!array) {
        error(*value, key,
              fmt::format("expected an array of strings, got {}", describe_value(*value)));
        return std::nullopt;
    }
    if (array->size() > max_items) {
        error(*value, key, fmt::format("more than {} items", max_items));
        return std::nullopt;
    }
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = *array->get(i);
        const std::string what = fmt::format("{}[{}]", path_of(key), i);
        auto text = string_value(item, what, max_bytes, scope_);
        if (text && text->empty()) {
            scope_.diags->add(scope_.file, line_of(item.source()), column_of(item.source()),
                              fmt::format("{}: must not be empty", what));
            text.reset();
        }
        if (!text) {
            ok = false;
            continue;
        }
        out.push_back(std::move(*text));
    }
    if (!ok) return std::nullopt;
    record_origin(key, *value);
    return out;
}

std::optional<std::string> TableReader::name_or_id(std::string_view key) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    if (const auto* i = value->as_integer()) {
        if (i->get() < 0 || i->get() > 0xFFFFFFFE) {
            error(*value, key,
                  fmt::format("expected a name or an id from 0 to 4294967294, got {}", i->get()));
            return std::nullopt;
        }
        record_origin(key, *value);
        return std::to_string(i->get());
    }
    if (!value->is_string()) {
        error(*value, key,
              fmt::format("expected a name or a number, got {}", describe_value(*value)));
        return std::nullopt;
    }
    auto text = string(key, 256);
    if (text && text->empty()) {
        error(*value, key, "must not be empty");
        forget_origin(key);
        return std::nullopt;
    }
    return text;
}

std::optional<TableReader> TableReader::table(std::string_view key) {
    const toml::node* value = node(key);
    if (!value) return std::nullopt;
    const auto* sub = value->as_table();
    if (!sub) {
        error(*value, key, fmt::format("expected a table, got {}", describe_value(*value)));
        return std::nullopt;
    }
    return TableReader(*sub, path_of(key), origin_prefix_ + std::string(key) + ".", scope_);
}

std::string TableReader::not_one_of(std::span<const std::string_view> names, std::string_view got) {
    std::string list;
    for (std::string_view name : names) {
        if (!list.empty()) list += ", ";
        list += name;
    }
    return fmt::format("expected one of {}, got {}{}", list, shown_text(got),
                       did_you_mean(closest(got, names)));
}

void TableReader::finish() {
    std::vector<std::string_view> known(known_.begin(), known_.end());
    for (const auto& [key, value] : *table_) {
        if (std::find(known_.begin(), known_.end(), key.str()) != known_.end()) continue;
        // A hostile key may be long: the message shows its start.
        const std::string_view shown = std::string_view(key.str()).substr(0, 60);
        error_at(key.source(), shown,
                 fmt::format("unknown key{}", did_you_mean(closest(key.str(), known))));
    }
}

}  // namespace svinit::config
