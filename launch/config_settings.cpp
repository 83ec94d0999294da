#include "launch/config_settings.h"

#include <sys/stat.h>

namespace svinit::launch {

namespace {

namespace fs = std::filesystem;

bool is_dir(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool path_exists(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::optional<services::Duration> flag(const SvinitOptions& options, std::string_view name,
                                       core::Duration value) {
    if (!options.given.contains(name)) return std::nullopt;
    return std::chrono::duration_cast<services::Duration>(value);
}

// The file's service-output and service-log-* keys, but a flag given wins.
void apply_output_keys(config::OutputSettings keys, SvinitOptions& options) {
    const auto given = [&](std::string_view flag) { return options.given.contains(flag); };
    if (given("--service-output")) keys.mode.reset();
    if (given("--service-output-full")) keys.when_full.reset();
    if (given("--service-log-prefix")) keys.prefix.reset();
    if (given("--service-log-dir")) keys.dir.reset();
    if (given("--service-log-max-size")) keys.max_size.reset();
    if (given("--service-log-keep")) keys.keep.reset();
    if (given("--service-log-ring")) keys.ring_bytes.reset();
    config::apply_output_settings(keys, options.output);
}

}  // namespace

config::LoadRequest load_request(const SvinitOptions& options) {
    config::LoadRequest request;
    if (options.config_file) request.config_file = fs::path(*options.config_file);
    if (!options.service_dirs.empty()) {
        request.service_dirs.emplace(options.service_dirs.begin(), options.service_dirs.end());
    }
    // svinit alone replaces runsvdir; `svinit -- app` stays a plain init, like tini.
    if (options.command.empty() && is_dir(kDefaultServiceDir)) {
        request.fallback_service_dirs.emplace_back(kDefaultServiceDir);
    }
    request.flags.stop_timeout = flag(options, "--stop-timeout", options.stop_timeout);
    request.flags.finish_timeout = flag(options, "--finish-timeout", options.finish_timeout);
    request.flags.backoff_min = flag(options, "--backoff-min", options.backoff_min);
    request.flags.backoff_max = flag(options, "--backoff-max", options.backoff_max);
    request.flags.healthy_run = flag(options, "--healthy-run", options.healthy_run);
    return request;
}

bool has_config_files(const SvinitOptions& options, const config::LoadRequest& request) {
    return options.config_file || path_exists(request.default_config_file) ||
           path_exists(request.default_toml_service_dir);
}

core::Result<void> apply_settings(const config::LoadedConfig& loaded, SvinitOptions& options) {
    const config::GlobalSettings& settings = loaded.settings;
    if (options.service_dirs.empty()) {
        for (const fs::path& dir : loaded.service_dirs)
            options.service_dirs.push_back(dir.string());
    }
    if (settings.control_socket && !options.given.contains("--control-socket")) {
        options.control_socket = *settings.control_socket;
    }
    if (settings.control_group && !options.given.contains("--control-group")) {
        options.control_group = *settings.control_group;
    }
    if (settings.log_level && !options.given.contains("--log-level") &&
        !options.given.contains("--quiet") && !options.given.contains("-q")) {
        const auto level = parse_log_level(*settings.log_level);
        if (!level) return core::error(0, "log-level: unknown level " + *settings.log_level);
        options.log_level = *level;
    }
    apply_output_keys(settings.output, options);
    const config::ServiceDefaults& defaults = settings.defaults;
    options.stop_timeout = defaults.stop.timeout;
    options.finish_timeout = defaults.finish_timeout;
    options.backoff_min = defaults.restart.backoff_initial;
    options.backoff_max = defaults.restart.backoff_max;
    options.healthy_run = defaults.restart.healthy_after;
    return {};
}

}  // namespace svinit::launch
