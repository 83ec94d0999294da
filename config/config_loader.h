#pragma once
// Everything svinit is configured with, read and validated at once: the main TOML file, the
// TOML service files, and the runit service directories, into plain ServiceSpec values and
// every error found (svinit --check-config prints them; a reload with errors changes
// nothing).
//
//   main file      --config FILE, else /etc/svinit/svinit.toml when it exists: global
//                  settings, [defaults], and [services.NAME] tables
//   TOML services  DIR/NAME.toml in each toml-service-dirs DIR (default
//                  /etc/svinit/services.d, when it exists); files not ending in .toml and
//                  hidden ones are ignored
//   runit services --service-dir DIR..., else the file's service-dirs, else the caller's
//                  fallback (/etc/service without a main command)
//
// Errors: a syntax error (toml++'s line and column), a wrong type or range, an unknown key
// (with a did-you-mean), a name defined twice (both places named), a dependency on no
// service, a dependency cycle (spelled out), a file too large, too many services. Runit
// directories' own problems are kept apart (service_dir_problems). Nothing a file holds can
// crash or block the loader: files are read bounded and never through a FIFO, and every
// count is bounded.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <vector>

#include "config/main_config.h"
#include "config/runit_dir.h"
#include "services/service_spec.h"

namespace svinit::config {

inline const std::filesystem::path kDefaultConfigFile = "/etc/svinit/svinit.toml";
inline const std::filesystem::path kDefaultTomlServiceDir = "/etc/svinit/services.d";
inline constexpr std::size_t kMaxConfigFileBytes = 4 << 20;  // the main file, each service file
inline constexpr std::size_t kMaxConfigBytes = 64 << 20;     // every file read, env files too

// Command-line flags that set service defaults; they win over the file's [defaults].
struct DefaultFlags {
    std::optional<services::Duration> stop_timeout;    // --stop-timeout
    std::optional<services::Duration> finish_timeout;  // --finish-timeout
    std::optional<services::Duration> backoff_min;     // --backoff-min
    std::optional<services::Duration> backoff_max;     // --backoff-max
    std::optional<services::Duration> healthy_run;     // --healthy-run
};

struct LoadRequest {
    std::optional<std::filesystem::path> config_file;  // --config: must exist
    // Without config_file: read when it exists.
    std::filesystem::path default_config_file = kDefaultConfigFile;
    // Without toml-service-dirs in the file: read when it exists.
    std::filesystem::path default_toml_service_dir = kDefaultTomlServiceDir;
    std::optional<std::vector<std::filesystem::path>> service_dirs;  // --service-dir
    std::vector<std::filesystem::path> fallback_service_dirs;        // when neither names any
    DefaultFlags flags{};
    std::size_t max_total_bytes = kMaxConfigBytes;
    std::size_t max_services = kMaxServices;
};

struct LoadedConfig {
    std::optional<std::filesystem::path> config_file;  // the main file read, if any
    GlobalSettings settings;  // the file's; settings.defaults with the flags applied
    std::vector<std::filesystem::path> service_dirs;       // runit directories in effect
    std::vector<std::filesystem::path> toml_service_dirs;  // TOML directories in effect
    std::vector<services::ServiceSpec> services;           // TOML and runit, sorted by name
    std::size_t toml_services = 0;                         // how many of them are TOML
    std::vector<services::Diagnostic> errors;              // in the order found; empty: valid
    // What config/runit_dir.h reports about the runit directories. Errors for
    // --check-config; at run time svinit warns and goes on without the broken service, as
    // it always has, so they do not make the configuration invalid.
    std::vector<services::Diagnostic> service_dir_problems;

    bool ok() const noexcept { return errors.empty(); }
};

// Never throws (bar std::bad_alloc).
LoadedConfig load_config(const LoadRequest& request);

}  // namespace svinit::config
