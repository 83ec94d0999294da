#include "control/json_fields.h"

#include <exception>
#include <new>
#include <utility>

namespace svinit::control::detail {
namespace {

// Thrown from the parser callback to stop at the depth limit; caught in parse_object.
struct TooDeep {};

}  // namespace

std::optional<Json> parse_object(std::string_view line, Problems& problems) {
    // nlohmann's lexer takes a NUL byte for the end of the input and would accept
    // `{...}\0anything`; a NUL is never valid in a line (inside a string it must be \u0000).
    if (const auto nul = line.find('\0'); nul != std::string_view::npos) {
        problems.add("a NUL byte at offset " + std::to_string(nul) + " (not valid JSON)");
        return std::nullopt;
    }
    // nlohmann's parser and destructor are iterative, but a depth limit keeps a hostile
    // line from costing more than its bytes' worth of nodes and stack entries.
    const Json::parser_callback_t limit_depth = [](int depth, Json::parse_event_t, Json&) {
        if (depth > kMaxJsonDepth) throw TooDeep{};
        return true;
    };
    try {
        Json value = Json::parse(line.begin(), line.end(), limit_depth);
        if (!value.is_object()) {
            problems.add("expected a JSON object");
            return std::nullopt;
        }
        return value;
    } catch (const TooDeep&) {
        problems.add("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    } catch (const Json::exception& e) {
        // Without nlohmann's "[json.exception.parse_error.101] " prefix.
        std::string_view what = e.what();
        if (const auto end = what.find("] "); what.starts_with("[json.") && end != what.npos) {
            what.remove_prefix(end + 2);
        }
        problems.add("not valid JSON: " + std::string(what));
    } catch (const std::bad_alloc&) {
        problems.add("out of memory while parsing");
    } catch (const std::exception& e) {
        problems.add(std::string("cannot parse: ") + e.what());
    }
    return std::nullopt;
}

std::string dump(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<std::int64_t> as_integer(const Json& value, std::int64_t min, std::int64_t max) {
    if (value.is_number_unsigned()) {
        const auto u = value.get<std::uint64_t>();
        if (max < 0 || u > static_cast<std::uint64_t>(max)) return std::nullopt;
        const auto i = static_cast<std::int64_t>(u);
        if (i < min) return std::nullopt;
        return i;
    }
    if (value.is_number_integer()) {
        const auto i = value.get<std::int64_t>();
        if (i < min || i > max) return std::nullopt;
        return i;
    }
    return std::nullopt;
}

Fields::Fields(const Json& object, std::string path, Problems& problems)
    : path_(std::move(path)), problems_(problems) {
    if (object.is_object()) {
        object_ = &object;
    } else {
        problems_.add((path_.empty() ? std::string("message") : path_) + ": expected an object");
    }
}

const Json* Fields::find(std::string_view key) const {
    if (object_ == nullptr) return nullptr;
    const auto it = object_->find(key);
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
}

std::string Fields::path_of(std::string_view key) const {
    if (path_.empty()) return std::string(key);
    return path_ + "." + std::string(key);
}

void Fields::fail(std::string_view key, std::string_view what) {
    // '"', not "\"": a one-character literal before a temporary string makes GCC 12 at -O3
    // report a bogus -Wrestrict inside libstdc++ (GCC PR 105329).
    problems_.add('"' + path_of(key) + "\": " + std::string(what));
}

std::optional<std::string> Fields::optional_string(std::string_view key) {
    const Json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
        fail(key, "expected a string");
        return std::nullopt;
    }
    return v->get<std::string>();
}

std::string Fields::string(std::string_view key) {
    if (find(key) == nullptr) {
        fail(key, "missing");
        return {};
    }
    return optional_string(key).value_or(std::string());
}

std::optional<bool> Fields::optional_boolean(std::string_view key) {
    const Json* v = find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
        fail(key, "expected true or false");
        return std::nullopt;
    }
    return v->get<bool>();
}

bool Fields::boolean(std::string_view key) {
    if (find(key) == nullptr) {
        fail(key, "missing");
        return false;
    }
    return optional_boolean(key).value_or(false);
}

std::optional<std::int64_t> Fields::optional_integer(std::string_view key, std::int64_t min,
                                                     std::int64_t max) {
    const Json* v = find(key);
    if (v == nullptr) return std::nullopt;
    auto i = as_integer(*v, min, max);
    if (!i) {
        fail(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return i;
}

std::int64_t Fields::integer(std::string_view key, std::int64_t min, std::int64_t max) {
    if (find(key) == nullptr) {
        fail(key, "missing");
        return min;
    }
    return optional_integer(key, min, max).value_or(min);
}

const Json* Fields::optional_object(std::string_view key) {
    const Json* v = find(key);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
        fail(key, "expected an object or null");
        return nullptr;
    }
    return v;
}

const Json* Fields::optional_array(std::string_view key) {
    const Json* v = find(key);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) {
        fail(key, "expected an array");
        return nullptr;
    }
    return v;
}

}  // namespace svinit::control::detail
