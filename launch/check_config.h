#pragma once
// svinit --check-config [--config FILE]: reads and validates everything svinit would be
// configured with (the main file, the TOML service files, the runit service directories)
// and starts nothing, like `nginx -t`. And the same reading when svinit starts.

#include <cstdio>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "launch/svinit_options.h"

namespace svinit::launch {

// Prints every error to `err`, one per line ("FILE:LINE:COLUMN: message"), then a count;
// or a one-line summary to `out`. Returns exit_code::kOk or exit_code::kConfig.
int check_config(const SvinitOptions& options, std::FILE* out, std::FILE* err);

// At start: reads the configuration files, when there are any, into `options` (flags win).
// exit_code is kConfig, with every error printed to `err`, when they are invalid; 0
// otherwise.
struct ConfigOutcome {
    int exit_code = 0;
    std::vector<std::string> toml_services;  // declared
    // What to read again at every reload, when there are configuration files.
    std::optional<config::LoadRequest> request;
};
ConfigOutcome read_configuration(SvinitOptions& options, std::FILE* err);

// Every error in `loaded`, and, when it has none, those of applying it to `options` (an
// unknown control group).
std::vector<std::string> configuration_errors(const config::LoadedConfig& loaded,
                                              SvinitOptions& options);

}  // namespace svinit::launch
