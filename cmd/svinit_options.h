#pragma once
// svinit's command line, parsed into plain values (no side effects).

#include <spdlog/common.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/event_loop.h"

namespace svinit::cmd {

struct SvinitOptions {
    core::LoopKind event_loop = core::LoopKind::Auto;
    core::Duration kill_grace = std::chrono::seconds(5);
    bool signal_group = false;
    bool kill_all_on_exit = true;
    spdlog::level::level_enum log_level = spdlog::level::info;
    bool help = false;
    bool version = false;
    std::vector<std::string> command;
};

// Usage errors carry a one-line message naming the flag; the caller prints usage and
// exits 2.
core::Result<SvinitOptions> parse_svinit_options(std::span<const std::string_view> args);

// Parses a non-negative number of seconds ("5", "0.25") up to a day.
core::Result<core::Duration> parse_seconds(std::string_view text);

std::string_view svinit_usage();

}  // namespace svinit::cmd
