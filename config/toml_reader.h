#pragma once
// Reading one TOML table against a schema, collecting every error. Internal to config/.
//
// The schema is the code: a table's reader asks for each key it knows, by type, and
// finish() reports every key nobody asked for as unknown, with the closest known key as a
// suggestion. Adding a key is one call; adding a table (say [sandbox]) is one function
// that reads it through table(). Every getter records the value's origin (FILE:LINE:COLUMN)
// under its key path when it succeeds, and reports a wrong type or range at the value:
//
//   FILE:LINE:COLUMN: services.web.restart.policy: expected one of always, on-failure,
//   never, got "alwayz"; did you mean "always"?
//
// A getter returns nullopt when the key is absent or its value is wrong (the error is
// already recorded), so callers keep their default and go on to find the next error.

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostics.h"
#include "services/service_spec.h"

namespace svinit::config {

// Bounds on what one value may hold.
inline constexpr std::size_t kMaxStringBytes = 65'536;  // an argv element, a variable's value
inline constexpr std::size_t kMaxPathBytes = 4'095;     // PATH_MAX less the NUL
inline constexpr std::size_t kMaxArrayItems = 1'024;

// Where a reader records errors and origins.
struct ReadScope {
    std::filesystem::path file;
    Diagnostics* diags = nullptr;
    std::map<std::string, services::Origin, std::less<>>* origins = nullptr;  // may be null
};

template <typename E>
using Choices = std::span<const std::pair<std::string_view, E>>;

class TableReader {
public:
    // `path`: the table's dotted name in messages ("services.web.restart"); `origin_prefix`:
    // its key path in origins ("restart." ; "" for the top).
    TableReader(const toml::table& table, std::string path, std::string origin_prefix,
                ReadScope scope);

    const toml::table& table() const noexcept { return *table_; }
    const std::string& path() const noexcept { return path_; }
    const ReadScope& scope() const noexcept { return scope_; }
    std::string path_of(std::string_view key) const;

    // Marks `key` known; its node, or nullptr when absent.
    const toml::node* node(std::string_view key);
    bool has(std::string_view key) const { return table_->contains(key); }

    std::optional<std::string> string(std::string_view key, std::size_t max = kMaxPathBytes);
    std::optional<bool> boolean(std::string_view key);
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
    std::optional<double> number(std::string_view key, double min, double max);  // int or float
    std::optional<services::Duration> duration(std::string_view key, services::Duration min,
                                               services::Duration max);
    // An array of non-empty strings, at most `max_items`.
    std::optional<std::vector<std::string>> strings(std::string_view key,
                                                    std::size_t max_items = kMaxArrayItems,
                                                    std::size_t max_bytes = kMaxPathBytes);
    // A string or a non-negative integer (user and group ids), as text.
    std::optional<std::string> name_or_id(std::string_view key);
    // A table below this one; nullopt (with an error) when the key holds something else.
    std::optional<TableReader> table(std::string_view key);

    template <typename E>
    std::optional<E> choice(std::string_view key, Choices<E> choices) {
        auto text = string(key);
        if (!text) return std::nullopt;
        for (const auto& [name, value] : choices) {
            if (name == *text) return value;
        }
        std::vector<std::string_view> names;
        for (const auto& choice : choices) names.push_back(choice.first);
        error(*node(key), key, not_one_of(names, *text));
        forget_origin(key);
        return std::nullopt;
    }

    // An error at `at` (a value inside this table), or at the table itself.
    void error(const toml::node& at, std::string_view key, std::string_view message);
    void error_here(std::string_view message);
    void error_at(const toml::source_region& at, std::string_view key, std::string_view message);

    void record_origin(std::string_view key, const toml::node& at);
    void forget_origin(std::string_view key);

    // Reports every key that no getter asked for.
    void finish();

private:
    static std::string not_one_of(std::span<const std::string_view> names, std::string_view got);

    const toml::table* table_;
    std::string path_;
    std::string origin_prefix_;
    ReadScope scope_;
    std::vector<std::string> known_;
};

// "integer 5", "string \"x\"", "a table", "an array", for "expected ..., got ...".
std::string describe_value(const toml::node& node);

// A string's text, or nullopt with "expected a string" reported at it; rejects NUL bytes
// and more than `max` bytes. `what` names it in messages ("services.web.command[0]").
std::optional<std::string> string_value(const toml::node& node, std::string_view what,
                                        std::size_t max, const ReadScope& scope);

// TOML strings may hold any Unicode, NUL included; nothing that reaches exec or an
// environment may.
bool has_nul(std::string_view text);

}  // namespace svinit::config
