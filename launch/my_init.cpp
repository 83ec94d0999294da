#include "launch/my_init.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "config/container_env.h"
#include "config/script_dir.h"
#include "core/exit_codes.h"
#include "launch/logging.h"
#include "launch/my_init_options.h"
#include "launch/svinit_run.h"
#include "pid1/my_init_log.h"

namespace svinit::launch {
namespace {

namespace fs = std::filesystem;

// The paths my_init uses, under --root (normally "/").
struct MyInitPaths {
    fs::path init_directory;
    fs::path rc_local;
    fs::path pre_shutdown;
    fs::path post_shutdown;
    fs::path services;
    fs::path insecure_key;
    config::ContainerEnvPaths env;
};

MyInitPaths paths_under(const fs::path& root, const std::string& init_directory) {
    auto under = [&root](const fs::path& path) { return root / path.relative_path(); };
    return {under(init_directory),
            under("/etc/rc.local"),
            under("/etc/my_init.pre_shutdown.d"),
            under("/etc/my_init.post_shutdown.d"),
            under("/etc/service"),
            under("/usr/sbin/enable_insecure_key"),
            config::container_env_paths(root)};
}

void import_env(const config::ContainerEnvPaths& paths, config::ImportMode mode) {
    auto imported = config::import_container_env(paths, mode);
    if (!imported) {
        pid1::my_init_log().warn("{}", imported.error().message());
        return;
    }
    for (const auto& warning : *imported) pid1::my_init_log().warn("{}", warning);
}

void export_env(const config::ContainerEnvPaths& paths, bool write_dir) {
    if (auto exported = config::export_container_env(paths, write_dir); !exported) {
        pid1::my_init_log().warn("{}", exported.error().message());
    }
}

// my_init's start: import without clearing or overriding, then export everything.
void prepare_environment(const MyInitPaths& paths) {
    import_env(paths.env, {.clear_first = false, .override_existing = false});
    export_env(paths.env, true);
}

// The startup sequence: the insecure key (when asked), /etc/my_init.d/*, /etc/rc.local.
std::vector<std::string> startup_scripts(const MyInitOptions& options, const MyInitPaths& paths) {
    std::vector<std::string> scripts;
    if (options.enable_insecure_key) {
        if (config::is_executable_file(paths.insecure_key)) {
            pid1::my_init_log().info("Installing insecure SSH key for user root");
            scripts.push_back(paths.insecure_key.string());
        } else {
            pid1::my_init_log().warn(
                "--enable-insecure-key: {} does not exist (or is not executable); no "
                "insecure key installed",
                paths.insecure_key.string());
        }
    }
    if (!options.skip_startup_files) {
        auto in_dir = config::executables_in(paths.init_directory);
        scripts.insert(scripts.end(), in_dir.begin(), in_dir.end());
        if (config::is_executable_file(paths.rc_local)) scripts.push_back(paths.rc_local.string());
    }
    return scripts;
}

pid1::Lifecycle my_init_lifecycle(const MyInitOptions& options, const MyInitPaths& paths) {
    pid1::Lifecycle lifecycle;
    lifecycle.my_init = true;
    lifecycle.startup = [options, paths] { return startup_scripts(options, paths); };
    // As my_init: after each startup script the environment is the directory's, exactly
    // (HOME and the rest vanish unless a file sets them), and .sh/.json are rewritten.
    lifecycle.after_startup_script = [paths](const std::string& script) {
        if (script == paths.insecure_key.string())
            return;  // my_init re-imports only after startup files
        import_env(paths.env, {.clear_first = true, .override_existing = true});
        export_env(paths.env, false);
    };
    lifecycle.pre_shutdown = [dir = paths.pre_shutdown] { return config::executables_in(dir); };
    lifecycle.post_shutdown = [dir = paths.post_shutdown] { return config::executables_in(dir); };
    lifecycle.shutdown_script_limit = options.kill_process_timeout;
    if (options.shutdown_signal) lifecycle.shutdown_signals.push_back(*options.shutdown_signal);
    return lifecycle;
}

void usage_error(const std::string& message) {
    std::fprintf(stderr, "my_init: %s\n\n%.*s", message.c_str(),
                 static_cast<int>(my_init_usage().size()), my_init_usage().data());
}

}  // namespace

int my_init_main(std::span<const std::string_view> args) {
    auto options = parse_my_init_options(args, [](const char* name) { return std::getenv(name); });
    if (!options) {
        usage_error(options.error().message());
        return exit_code::kUsage;
    }
    if (options->help) {
        std::fwrite(my_init_usage().data(), 1, my_init_usage().size(), stdout);
        return 0;
    }
    if (options->version) {
        std::printf("svinit %s (my_init mode)\n", SVINIT_VERSION);
        return 0;
    }
    if (options->skip_runit && options->command.empty()) {
        std::fprintf(stderr,
                     "*** When --skip-runit is given, you must also pass a main command.\n");
        return exit_code::kMyInitRefused;
    }
    std::optional<gid_t> control_group;
    if (!options->control_group.empty()) {
        control_group = group_id(options->control_group);
        if (!control_group) {
            usage_error("--control-group: no group named '" + options->control_group + "'");
            return exit_code::kUsage;
        }
    }
    setup_logging(options->log_level, LogStyle::MyInit);
    auto paths = paths_under(options->root, options->init_directory);
    // Before the export: systemd's variables must not reach /etc/container_environment.
    auto notify = core::take_notify_env();
    prepare_environment(paths);

    RunPlan plan;
    plan.notify = std::move(notify);
    plan.event_loop = options->event_loop;
    if (!options->skip_runit) plan.service_dirs.push_back(paths.services);
    plan.control_socket = options->control_socket;
    plan.control_group = control_group;
    plan.supervise_dir = options->supervise_dir;
    plan.init.command = options->command;
    plan.init.kill_all_on_exit = options->kill_all_on_exit;
    plan.init.kill_grace = options->kill_all_processes_timeout;
    // my_init's `sv -w KILL_PROCESS_TIMEOUT force-stop`: TERM, then KILL after the timeout.
    plan.init.service_policy.stop_timeout = options->kill_process_timeout;
    plan.init.lifecycle = my_init_lifecycle(*options, paths);
    return run_init(std::move(plan));
}

}  // namespace svinit::launch
