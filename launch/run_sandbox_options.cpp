#include <fmt/format.h>

#include "core/cli_flag.h"
#include "launch/run_sandbox.h"
#include "launch/svinit_options.h"

namespace svinit::launch {

namespace {

bool is_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || name.front() == '.') return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

core::Result<RunSandboxOptions> parse_run_sandbox_options(std::span<const std::string_view> args) {
    RunSandboxOptions options;
    std::size_t i = 0;
    auto value_of = [&](const core::Flag& flag) -> core::Result<std::string_view> {
        if (flag.inline_value) return *flag.inline_value;
        if (i + 1 >= args.size()) return core::error(0, fmt::format("{} needs a value", flag.name));
        return args[++i];
    };
    for (; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!arg.starts_with("-")) break;
        const core::Flag flag = core::split_flag(arg);
        if (flag.name == "-h" || flag.name == "--help") {
            options.help = true;
            return options;
        }
        auto value = value_of(flag);
        if (!value) return std::unexpected(value.error());
        if (flag.name == "--sandbox") {
            options.sandbox_file = std::string(*value);
        } else if (flag.name == "--name") {
            if (!is_name(*value)) {
                return core::error(
                    0, fmt::format("--name: '{}' is not 1 to 64 of A-Z a-z 0-9 - _ .", *value));
            }
            options.name = std::string(*value);
        } else if (flag.name == "--event-loop") {
            auto kind = core::parse_loop_kind(*value);
            if (!kind) return core::error(0, "--event-loop: " + kind.error().message());
            options.event_loop = *kind;
        } else if (flag.name == "--log-level") {
            auto level = parse_log_level(*value);
            if (!level) {
                return core::error(0, fmt::format("--log-level: unknown level '{}' (trace, debug, "
                                                  "info, warn, error, off)",
                                                  *value));
            }
            options.log_level = *level;
        } else {
            return core::error(0, fmt::format("run: unknown option {}", flag.name));
        }
    }
    for (; i < args.size(); ++i) options.command.emplace_back(args[i]);
    if (options.sandbox_file.empty()) return core::error(0, "run: --sandbox FILE is required");
    if (options.command.empty()) return core::error(0, "run: no command given (-- CMD ARGS...)");
    return options;
}

std::string_view run_sandbox_usage() {
    return R"(usage: svinit run --sandbox FILE [OPTIONS] [--] COMMAND [ARG...]

Runs COMMAND in the sandbox FILE describes (a TOML file of [sandbox] keys, see
docs/sandbox.md), stays as its supervisor, passes signals on, and exits with its
status (128+N for signal N; 125 when the sandbox could not be set up).

  --sandbox FILE                    the sandbox's keys (required)
  --name NAME                       names its cgroup svinit-sandbox-NAME (default run-PID)
  --event-loop=auto|io_uring|epoll  event loop backend (default auto)
  --log-level LEVEL                 trace, debug, info, warn (default), error or off
  -h, --help                        this text
)";
}

}  // namespace svinit::launch
