#pragma once
// svinit run --sandbox FILE -- CMD ARGS...: one command in a sandbox, with svinit staying as
// its supervisor (event loop, pidfd, signals passed on, the cgroup killed and removed at the
// end) and exiting with the command's status: a small `runc run` or `bwrap` with PID 1's
// correctness. FILE holds a [sandbox] table's keys (docs/sandbox.md).

#include <spdlog/common.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/event_loop.h"

namespace svinit::launch {

struct RunSandboxOptions {
    std::string sandbox_file;  // --sandbox FILE
    std::string name;          // --name NAME: the cgroup's; default run-PID
    core::LoopKind event_loop = core::LoopKind::Auto;
    spdlog::level::level_enum log_level = spdlog::level::warn;
    bool help = false;
    std::vector<std::string> command;
};

// The arguments after "run". Usage errors name the flag.
core::Result<RunSandboxOptions> parse_run_sandbox_options(std::span<const std::string_view> args);

std::string_view run_sandbox_usage();

// The arguments after "run"; returns the exit code: the command's status (128+N for signal
// N), 125 when svinit or the sandbox's setup failed, 126/127 when the command cannot run
// or is missing, 2 for usage errors.
int run_sandbox_main(std::span<const std::string_view> args);

}  // namespace svinit::launch
