#include "launch/check_config.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "config/config_loader.h"
#include "core/exit_codes.h"
#include "launch/config_settings.h"
#include "launch/svinit_run.h"

namespace svinit::launch {

namespace {

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::vector<std::string> configuration_errors(const config::LoadedConfig& loaded,
                                              SvinitOptions& options) {
    std::vector<std::string> errors;
    for (const auto& error : loaded.errors) errors.push_back(error.describe());
    if (!loaded.ok()) return errors;
    if (auto applied = apply_settings(loaded, options); !applied) {
        errors.push_back(applied.error().message());
    }
    if (!options.control_group.empty() && !group_id(options.control_group)) {
        std::string where = "--control-group";
        if (!options.given.contains("--control-group")) {
            if (auto at = loaded.settings.origins.find("control-group");
                at != loaded.settings.origins.end()) {
                where = at->second.describe();
            }
        }
        errors.push_back(
            fmt::format("{}: control-group: no group named \"{}\"", where, options.control_group));
    }
    return errors;
}

int check_config(const SvinitOptions& options, std::FILE* out, std::FILE* err) {
    const config::LoadedConfig loaded = config::load_config(load_request(options));
    SvinitOptions merged = options;
    auto errors = configuration_errors(loaded, merged);
    // A service svinit would skip is an error here: the check is for finding them.
    for (const auto& problem : loaded.service_dir_problems) errors.push_back(problem.describe());
    if (!errors.empty()) {
        for (const auto& error : errors) fmt::print(err, "{}\n", error);
        fmt::print(err, "svinit: the configuration has {}\n",
                   plural(errors.size(), "error", "errors"));
        return exit_code::kConfig;
    }
    const std::size_t runit = loaded.services.size() - loaded.toml_services;
    const std::string file =
        loaded.config_file ? loaded.config_file->string() : std::string("no main file");
    fmt::print(out, "svinit: the configuration is valid ({}): {} ({} TOML, {} runit)\n", file,
               plural(loaded.services.size(), "service", "services"), loaded.toml_services, runit);
    return exit_code::kOk;
}

ConfigOutcome read_configuration(SvinitOptions& options, std::FILE* err) {
    ConfigOutcome outcome;
    config::LoadRequest request = load_request(options);
    if (!has_config_files(options, request)) return outcome;
    // The runit directories' own problems are the supervisor's loader's to report, as
    // before; here the directories only give TOML dependencies their names.
    const config::LoadedConfig loaded = config::load_config(request);
    const auto errors = configuration_errors(loaded, options);
    if (!errors.empty()) {
        for (const auto& error : errors) fmt::print(err, "{}\n", error);
        fmt::print(err, "svinit: the configuration has {}; nothing started\n",
                   plural(errors.size(), "error", "errors"));
        outcome.exit_code = exit_code::kConfig;
        return outcome;
    }
    for (const auto& spec : loaded.services) {
        if (spec.source == services::SourceKind::Toml) outcome.toml_services.push_back(spec.name);
    }
    outcome.request = std::move(request);
    return outcome;
}

}  // namespace svinit::launch
