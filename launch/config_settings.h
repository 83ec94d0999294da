#pragma once
// svinit's command line and its configuration files together: the load request made from
// the flags, and the file's global settings applied where no flag gave one.

#include <filesystem>
#include <vector>

#include "config/config_loader.h"
#include "core/error.h"
#include "launch/svinit_options.h"

namespace svinit::launch {

// What config::load_config reads for these options. Without --service-dir, the file's
// service-dirs; without either, /etc/service when there is no main command and it exists.
config::LoadRequest load_request(const SvinitOptions& options);

// Whether there is a configuration file to read at all: --config, the default main file,
// or the default TOML service directory. Without one svinit reads no TOML.
bool has_config_files(const SvinitOptions& options, const config::LoadRequest& request);

// The file's settings into `options` where no flag set them: service directories, control
// socket and group, log level, and the service defaults (already merged with the flags).
// An error for a log level or group spdlog or the system does not know.
core::Result<void> apply_settings(const config::LoadedConfig& loaded, SvinitOptions& options);

}  // namespace svinit::launch
