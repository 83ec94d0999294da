#pragma once
// Internal to the codec: reading a parsed JSON object field by field, with types and
// bounds checked. Errors are values: every reader shares one Problems sink that keeps
// the first problem, named by its path ("results[2].status.pid: ..."); later reads
// after a problem return defaults and are ignored.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace svinit::control::detail {

// Insertion-ordered, so lines read {"v":1,"cmd":...} in the order docs/protocol.md uses.
using Json = nlohmann::ordered_json;

// Nesting deeper than this is refused before it is built (no message of ours nests
// more than 5 levels).
inline constexpr int kMaxJsonDepth = 16;

// Parses one line; returns nullopt with problems set when it is not a JSON object.
// Never throws.
struct Problems;
std::optional<Json> parse_object(std::string_view line, Problems& problems);

// Dumps compactly; invalid UTF-8 in strings becomes U+FFFD instead of an exception.
std::string dump(const Json& value);

struct Problems {
    std::optional<std::string> first;

    bool any() const { return first.has_value(); }
    void add(std::string text) {
        if (!first) first = std::move(text);
    }
};

class Fields {
public:
    // `path` names the object in messages ("" for the top level).
    Fields(const Json& object, std::string path, Problems& problems);

    // The value of key, or nullptr when it is absent or null.
    const Json* find(std::string_view key) const;

    std::string string(std::string_view key);  // required
    std::optional<std::string> optional_string(std::string_view key);
    bool boolean(std::string_view key);  // required
    std::optional<bool> optional_boolean(std::string_view key);
    std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);  // required
    std::optional<std::int64_t> optional_integer(std::string_view key, std::int64_t min,
                                                 std::int64_t max);
    // An object or null/absent (nullptr); anything else is a problem.
    const Json* optional_object(std::string_view key);
    // An array or null/absent (nullptr); anything else is a problem.
    const Json* optional_array(std::string_view key);

    // "path.key" for messages and nested readers.
    std::string path_of(std::string_view key) const;
    void fail(std::string_view key, std::string_view what);

private:
    const Json* object_ = nullptr;
    std::string path_;
    Problems& problems_;
};

// An integer within [min, max] (max >= 0), or nullopt for any other value.
std::optional<std::int64_t> as_integer(const Json& value, std::int64_t min, std::int64_t max);

}  // namespace svinit::control::detail
