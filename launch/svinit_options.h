#pragma once
// svinit's command line, parsed into plain values (no side effects).

#include <spdlog/common.h>

#include <chrono>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/event_loop.h"
#include "services/log_settings.h"

namespace svinit::launch {

struct SvinitOptions {
    core::LoopKind event_loop = core::LoopKind::Auto;
    core::Duration kill_grace = std::chrono::seconds(5);
    bool signal_group = false;
    bool kill_all_on_exit = true;
    spdlog::level::level_enum log_level = spdlog::level::info;
    // Supervision. Without --service-dir and without a command, /etc/service is used
    // when it exists.
    std::vector<std::string> service_dirs;
    std::string control_socket = "/run/svinit/control.sock";
    std::string control_group;  // name or number; empty: root and the owner only
    bool supervise_dir = true;  // keep runit's NAME/supervise/ for runit's sv (--no-supervise-dir)
    core::Duration stop_timeout = std::chrono::seconds(10);
    core::Duration finish_timeout = std::chrono::seconds(5);
    core::Duration backoff_min = std::chrono::milliseconds(100);
    core::Duration backoff_max = std::chrono::seconds(30);
    core::Duration healthy_run = std::chrono::seconds(1);
    // --service-output and the --service-log-* flags (docs/logging.md).
    services::LogSettings output;
    // --config FILE: the main TOML file (default /etc/svinit/svinit.toml when it exists).
    // Its settings apply where no flag gave one: flags win over the file.
    std::optional<std::string> config_file;
    bool check_config = false;  // --check-config: validate everything, start nothing
    std::set<std::string, std::less<>> given;  // the flags given, by long name
    bool help = false;
    bool version = false;
    std::vector<std::string> command;
};

// Usage errors carry a one-line message naming the flag; the caller prints usage and
// exits 2.
core::Result<SvinitOptions> parse_svinit_options(std::span<const std::string_view> args);

inline constexpr std::string_view kDefaultServiceDir = "/etc/service";

// "trace", "debug", "info", "warn", "error" or "off"; nullopt for anything else.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text);

// Parses a size in bytes: "65536", "64K", "1M", "1G" (powers of 1024), from 1 to 1 TiB.
core::Result<std::uint64_t> parse_size(std::string_view text);

// Parses a non-negative number of seconds ("5", "0.25") up to a day.
core::Result<core::Duration> parse_seconds(std::string_view text);

std::string_view svinit_usage();

}  // namespace svinit::launch
