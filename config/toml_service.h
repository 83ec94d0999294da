#pragma once
// One TOML service (the top of DIR/NAME.toml, or [services.NAME] in the main file) ->
// ServiceSpec. The schema, every key with its type, range and default, is
// docs/svinit.toml.md; this file and toml_service_tables.cpp are its code. Internal to
// config/.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/service_defaults.h"
#include "config/small_file.h"
#include "config/toml_reader.h"
#include "services/service_spec.h"

namespace svinit::config {

inline constexpr std::size_t kMaxServiceName = 128;

// A TOML service's name: 1 to 128 of [A-Za-z0-9_.@+-], not starting with '.' or '-'.
bool is_service_name(std::string_view name);

// A name another service's requires/wants/after/before gives, checked once every service
// is known.
struct DependencyRef {
    std::string service;  // who depends
    std::string key;      // "requires", "wants", "after", "before"
    std::string name;     // on whom
    std::filesystem::path file;
    int line = 0;
    int column = 0;
};

struct ServiceContext {
    const ServiceDefaults* defaults = nullptr;
    std::filesystem::path base_dir;  // relative env-file and working-directory paths start here
    std::vector<DependencyRef>* dependencies = nullptr;  // appended to
    ReadBudget* budget = nullptr;                        // env files are read through it
};

// Reads `table` as service `name`. Errors go to `scope.diags`; the spec is filled in as far
// as it could be read (a caller must not use it when errors were added). `path` names the
// table in messages: "services.web".
services::ServiceSpec read_toml_service(const toml::table& table, const std::string& name,
                                        const std::filesystem::path& file,
                                        const services::Origin& defined_at,
                                        const ServiceContext& context, Diagnostics& diags);

// The tables, for the service and for [defaults] (toml_service_tables.cpp).
void read_restart(TableReader& reader, services::RestartSpec& restart);
// With allow_command false (in [defaults]), `command` is not a key.
void read_stop(TableReader& reader, services::StopSpec& stop, bool allow_command);
void read_readiness(TableReader& reader, services::ServiceType type,
                    services::ReadinessSpec& readiness);
std::optional<services::HealthSpec> read_health(TableReader& reader);
// An argv: an array of non-empty strings. A plain string is refused with the array form,
// and ["/bin/sh", "-c", "..."], as suggestions.
std::optional<std::vector<std::string>> read_argv(TableReader& reader, std::string_view key);

}  // namespace svinit::config
