#pragma once
// The main file's global settings (svinit --config FILE; /etc/svinit/svinit.toml by
// default): everything but its [services.NAME] tables, which are services like the files
// in the TOML service directories. Internal to config/; see config_loader.h.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/main_output.h"
#include "config/service_defaults.h"
#include "config/toml_reader.h"

namespace svinit::config {

struct GlobalSettings {
    // Each is nullopt when the file does not set it. Relative paths are made absolute
    // against the file's directory.
    std::optional<std::vector<std::filesystem::path>> service_dirs;       // runit directories
    std::optional<std::vector<std::filesystem::path>> toml_service_dirs;  // NAME.toml files
    std::optional<std::string> control_socket;
    std::optional<std::string> control_group;  // a name or a number
    std::optional<std::string> log_level;      // trace, debug, info, warn, error or off
    OutputSettings output{};                   // service-output, service-log-*
    ServiceDefaults defaults{};                // built in, then [defaults]
    // "control-socket", "service-dirs", ...: where each setting came from.
    std::map<std::string, services::Origin, std::less<>> origins{};
};

// Reads the top table of the main file into `settings` (whose origins `top` records into).
// Marks "services" known without reading it.
void read_global_settings(TableReader& top, const std::filesystem::path& base_dir,
                          GlobalSettings& settings);

}  // namespace svinit::config
