#include "launch/my_init_options.h"

#include <fmt/format.h>

#include "core/cli_flag.h"
#include "core/signal_name.h"
#include "launch/svinit_options.h"

namespace svinit::launch {
namespace {

core::Result<void> read_environment(MyInitOptions& options, const GetEnv& getenv) {
    if (const char* dir = getenv("ENV_INIT_DIRECTORY"); dir && *dir) options.init_directory = dir;
    for (auto [name, target] :
         {std::pair{"KILL_PROCESS_TIMEOUT", &options.kill_process_timeout},
          std::pair{"KILL_ALL_PROCESSES_TIMEOUT", &options.kill_all_processes_timeout}}) {
        const char* text = getenv(name);
        if (!text || !*text) continue;
        auto seconds = parse_seconds(text);
        if (!seconds) return core::error(0, fmt::format("{}: {}", name, seconds.error().message()));
        *target = *seconds;
    }
    return {};
}

// Flags without a value; false when `name` is not one.
bool set_switch(MyInitOptions& options, std::string_view name) {
    if (name == "--enable-insecure-key")
        options.enable_insecure_key = true;
    else if (name == "--skip-startup-files")
        options.skip_startup_files = true;
    else if (name == "--skip-runit")
        options.skip_runit = true;
    else if (name == "--no-kill-all-on-exit")
        options.kill_all_on_exit = false;
    else if (name == "--quiet" || name == "-q")
        options.log_level = spdlog::level::warn;
    else if (name == "--no-supervise-dir")
        options.supervise_dir = false;
    else if (name == "--help" || name == "-h")
        options.help = true;
    else if (name == "--version")
        options.version = true;
    else
        return false;
    return true;
}

core::Result<void> set_valued(MyInitOptions& options, std::string_view name,
                              std::string_view value) {
    if (value.empty()) return core::error(0, fmt::format("{} needs a value", name));
    if (name == "--event-loop") {
        auto kind = core::parse_loop_kind(value);
        if (!kind) return core::error(0, "--event-loop: " + kind.error().message());
        options.event_loop = *kind;
    } else if (name == "--shutdown-signal") {
        auto sig = core::parse_signal(value);
        if (!sig) return core::error(0, "--shutdown-signal: " + sig.error().message());
        options.shutdown_signal = *sig;
    } else if (name == "--root") {
        options.root = value;
    } else if (name == "--control-socket") {
        options.control_socket = value;
    } else if (name == "--control-group") {
        options.control_group = value;
    } else {
        return core::error(0, fmt::format("unknown option '{}'", name));
    }
    return {};
}

bool takes_value(std::string_view name) {
    return name == "--event-loop" || name == "--shutdown-signal" || name == "--root" ||
           name == "--control-socket" || name == "--control-group";
}

}  // namespace

core::Result<MyInitOptions> parse_my_init_options(std::span<const std::string_view> args,
                                                  const GetEnv& getenv) {
    MyInitOptions options;
    if (auto read = read_environment(options, getenv); !read) return std::unexpected(read.error());
    std::size_t i = 0;
    for (; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!arg.starts_with("-") || arg == "-") break;  // MAIN_COMMAND starts here
        core::Flag flag = core::split_flag(arg);
        if (takes_value(flag.name)) {
            std::string_view value;
            if (flag.inline_value) {
                value = *flag.inline_value;
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                return core::error(0, fmt::format("{} needs a value", flag.name));
            }
            if (auto set = set_valued(options, flag.name, value); !set) {
                return std::unexpected(set.error());
            }
            continue;
        }
        if (flag.inline_value) return core::error(0, fmt::format("{} takes no value", flag.name));
        if (!set_switch(options, flag.name)) {
            return core::error(0, fmt::format("unknown option '{}'", arg));
        }
        if (options.help || options.version) return options;
    }
    for (; i < args.size(); ++i) options.command.emplace_back(args[i]);
    return options;
}

std::string_view my_init_usage() {
    return R"(usage: my_init [--enable-insecure-key] [--skip-startup-files] [--skip-runit]
               [--no-kill-all-on-exit] [--quiet] [--] [MAIN_COMMAND ...]
       svinit --my-init [OPTIONS] [--] [MAIN_COMMAND ...]

svinit in the role of baseimage-docker's my_init: imports and exports
/etc/container_environment, runs /etc/my_init.d/* and /etc/rc.local, supervises
/etc/service, runs MAIN_COMMAND (or waits for SIGTERM/SIGINT), and shuts down in
order: /etc/my_init.pre_shutdown.d/*, services, /etc/my_init.post_shutdown.d/*,
then every process left.

my_init's options:
  --enable-insecure-key   run /usr/sbin/enable_insecure_key before the startup scripts
  --skip-startup-files    do not run /etc/my_init.d/* and /etc/rc.local
  --skip-runit            do not supervise /etc/service (needs MAIN_COMMAND)
  --no-kill-all-on-exit   do not kill the processes left at the end
  --quiet                 only warnings and errors
svinit's additions:
  --shutdown-signal SIG   also shut down on SIG (Docker's STOPSIGNAL, e.g. SIGRTMIN+3)
  --event-loop=auto|io_uring|epoll
  --control-socket PATH   svctl's socket (default /run/svinit/control.sock)
  --control-group GROUP   also let GROUP use the control socket
  --no-supervise-dir      do not keep runit's NAME/supervise/ directories
  --root DIR              look up every path above under DIR (for tests and image builds)
  -h, --help              show this help
  --version               show the version

environment: ENV_INIT_DIRECTORY (default /etc/my_init.d), KILL_PROCESS_TIMEOUT and
KILL_ALL_PROCESSES_TIMEOUT (seconds, default 30 each).

exit status: MAIN_COMMAND's status (128+N if killed by signal N); 2 after
SIGTERM/SIGINT or a usage error; 1 when a startup script fails or --skip-runit
comes without MAIN_COMMAND; 126/127 when MAIN_COMMAND cannot be executed/found.
)";
}

}  // namespace svinit::launch
