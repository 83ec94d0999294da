#pragma once
// my_init's command line and environment, parsed into plain values (no side effects):
//   my_init [--enable-insecure-key] [--skip-startup-files] [--skip-runit]
//           [--no-kill-all-on-exit] [--quiet] [--] [MAIN_COMMAND...]
// plus a few svinit options, and ENV_INIT_DIRECTORY, KILL_PROCESS_TIMEOUT and
// KILL_ALL_PROCESSES_TIMEOUT from the environment.

#include <spdlog/common.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/event_loop.h"

namespace svinit::launch {

struct MyInitOptions {
    // my_init's own.
    bool enable_insecure_key = false;
    bool skip_startup_files = false;
    bool skip_runit = false;
    bool kill_all_on_exit = true;
    std::vector<std::string> command;
    // From the environment, as my_init reads them.
    std::string init_directory = "/etc/my_init.d";                   // ENV_INIT_DIRECTORY
    core::Duration kill_process_timeout = std::chrono::seconds(30);  // KILL_PROCESS_TIMEOUT
    core::Duration kill_all_processes_timeout =
        std::chrono::seconds(30);  // KILL_ALL_PROCESSES_TIMEOUT
    // svinit's additions.
    spdlog::level::level_enum log_level = spdlog::level::info;  // --quiet: warn
    core::LoopKind event_loop = core::LoopKind::Auto;
    std::optional<int> shutdown_signal;  // besides TERM and INT (Docker's STOPSIGNAL)
    std::string root = "/";              // every my_init path is looked up under it
    std::string control_socket = "/run/svinit/control.sock";
    std::string control_group;
    bool supervise_dir = true;  // keep runit's NAME/supervise/ for runit's own sv
    bool help = false;
    bool version = false;
};

// Reads the environment; tests pass their own.
using GetEnv = std::function<const char*(const char* name)>;

// Usage errors carry a one-line message naming the flag or variable; the caller prints
// usage and exits 2. (--skip-runit without a command is checked by the caller: my_init
// exits 1 for it.)
core::Result<MyInitOptions> parse_my_init_options(std::span<const std::string_view> args,
                                                  const GetEnv& getenv);

std::string_view my_init_usage();

}  // namespace svinit::launch
