// svinit: argv, logging, wiring of the layers, exit codes. The work is done in
// core/, services/, config/ and control/.

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "core/exit_codes.h"
#include "core/program_name.h"
#include "launch/check_config.h"
#include "launch/logging.h"
#include "launch/my_init.h"
#include "launch/run_sandbox.h"
#include "launch/svinit_options.h"
#include "launch/svinit_run.h"

namespace {

using namespace svinit;

void usage_error(const std::string& message) {
    std::fprintf(stderr, "svinit: %s\n\n%.*s", message.c_str(),
                 static_cast<int>(launch::svinit_usage().size()), launch::svinit_usage().data());
}

// The directories to supervise: those given; without any, and without a main command,
// the default one when it exists (svinit alone replaces runsvdir). A main command alone
// supervises nothing unless asked: `svinit -- app` stays a plain init, like tini.
std::vector<std::filesystem::path> service_dirs(const launch::SvinitOptions& options) {
    std::vector<std::filesystem::path> dirs(options.service_dirs.begin(),
                                            options.service_dirs.end());
    std::error_code ec;
    if (dirs.empty() && options.command.empty() &&
        std::filesystem::is_directory(launch::kDefaultServiceDir, ec)) {
        dirs.emplace_back(launch::kDefaultServiceDir);
    }
    return dirs;
}

services::Policy service_policy(const launch::SvinitOptions& options) {
    services::Policy policy;
    policy.stop_timeout = options.stop_timeout;
    policy.finish_timeout = options.finish_timeout;
    policy.min_healthy_run = options.healthy_run;
    policy.backoff = {options.backoff_min, options.backoff_max};
    return policy;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (argc > 0 && core::invoked_as(argv[0], "my_init")) return launch::my_init_main(args);
    if (!args.empty() && args.front() == "--my-init") {
        return launch::my_init_main(std::span(args).subspan(1));
    }
    // `svinit run --sandbox FILE -- CMD`: the one-shot sandbox. `run` followed by an option
    // is that mode; a program named run is still `svinit -- run` or `svinit run ARGS`.
    if (args.size() >= 2 && args[0] == "run" && args[1].starts_with("-")) {
        return launch::run_sandbox_main(std::span(args).subspan(1));
    }
    auto options = launch::parse_svinit_options(args);
    if (!options) {
        usage_error(options.error().message());
        return exit_code::kUsage;
    }
    if (options->help) {
        std::fwrite(launch::svinit_usage().data(), 1, launch::svinit_usage().size(), stdout);
        return 0;
    }
    if (options->version) {
        std::printf("svinit %s\n", SVINIT_VERSION);
        return 0;
    }
    if (options->check_config) return launch::check_config(*options, stdout, stderr);
    const auto configured = launch::read_configuration(*options, stderr);
    if (configured.exit_code != 0) return configured.exit_code;
    auto dirs = service_dirs(*options);
    const bool toml = !configured.toml_services.empty();
    if (options->command.empty() && dirs.empty() && !toml) {
        usage_error(std::string("no command given, and no service directory (") +
                    std::string(launch::kDefaultServiceDir) + " does not exist)");
        return exit_code::kUsage;
    }
    std::optional<gid_t> control_group;
    if (!options->control_group.empty()) {
        control_group = launch::group_id(options->control_group);
        if (!control_group) {
            usage_error("--control-group: no group named '" + options->control_group + "'");
            return exit_code::kUsage;
        }
    }
    launch::setup_logging(options->log_level);
    launch::RunPlan plan;
    plan.event_loop = options->event_loop;
    plan.service_dirs = std::move(dirs);
    plan.control_socket = options->control_socket;
    plan.control_group = control_group;
    plan.supervise_dir = options->supervise_dir;
    plan.output = options->output;
    plan.config = configured.request;
    plan.init = {options->command,
                 options->signal_group,
                 options->kill_all_on_exit,
                 options->kill_grace,
                 toml,
                 service_policy(*options),
                 {}};
    return launch::run_init(std::move(plan));
}
