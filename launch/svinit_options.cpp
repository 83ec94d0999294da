#include "launch/svinit_options.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "config/byte_size.h"
#include "core/cli_flag.h"

namespace svinit::launch {
namespace {

// The --service-output and --service-log-* flags; false when `flag` is none of them.
core::Result<bool> parse_output_flag(std::string_view name, std::string_view value,
                                     services::LogSettings& output) {
    const auto fail = [&](const std::string& why) {
        return core::error(0, fmt::format("{}: {}", name, why));
    };
    if (name == "--service-output") {
        auto mode = services::parse_output_mode(value);
        if (!mode) return fail(mode.error().message());
        output.mode = *mode;
    } else if (name == "--service-output-full") {
        auto policy = services::parse_full_policy(value);
        if (!policy) return fail(policy.error().message());
        output.when_full = *policy;
    } else if (name == "--service-log-prefix") {
        auto format = services::parse_prefix_format(value);
        if (!format) return fail(format.error().message());
        output.prefix = std::move(*format);
    } else if (name == "--service-log-dir") {
        if (value.empty()) return fail("needs a directory");
        output.dir = std::string(value);
    } else if (name == "--service-log-max-size" || name == "--service-log-ring") {
        auto size = parse_size(value);
        if (!size) return fail(size.error().message());
        if (name == "--service-log-max-size") output.max_size = *size;
        if (name == "--service-log-ring") output.ring_bytes = static_cast<std::size_t>(*size);
    } else if (name == "--service-log-keep") {
        unsigned keep = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), keep);
        if (ec != std::errc() || end != value.data() + value.size() || keep > 1000) {
            return fail(fmt::format("'{}' is not a number of files from 0 to 1000", value));
        }
        output.keep = keep;
    } else {
        return false;
    }
    return true;
}

bool is_output_flag(std::string_view name) {
    return name == "--service-output" || name == "--service-output-full" ||
           name == "--service-log-dir" || name == "--service-log-max-size" ||
           name == "--service-log-ring" || name == "--service-log-keep" ||
           name == "--service-log-prefix";
}

}  // namespace

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text) {
    // Spelled here rather than through spdlog's names: Debian's spdlog calls warn
    // "warning", and "error" is ours either way.
    static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
        {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
        {"error", spdlog::level::err},   {"off", spdlog::level::off}};
    for (const auto& [name, level] : kLevels) {
        if (text == name) return level;
    }
    return std::nullopt;
}

core::Result<std::uint64_t> parse_size(std::string_view text) {
    constexpr std::uint64_t kMax = std::uint64_t{1} << 40;
    auto size = config::parse_size(text);
    if (!size || *size == 0 || *size > kMax) {
        return core::error(0, fmt::format("'{}' is not a size from 1 byte to 1T (a number, "
                                          "optionally followed by K, M or G)",
                                          text));
    }
    return *size;
}

core::Result<core::Duration> parse_seconds(std::string_view text) {
    double seconds = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
        seconds < 0 || seconds > 86400) {
        return core::error(0, fmt::format("'{}' is not a number of seconds from 0 to 86400", text));
    }
    return std::chrono::duration_cast<core::Duration>(std::chrono::duration<double>(seconds));
}

core::Result<SvinitOptions> parse_svinit_options(std::span<const std::string_view> args) {
    SvinitOptions options;
    std::size_t i = 0;
    auto value_of = [&](const core::Flag& flag) -> core::Result<std::string_view> {
        if (flag.inline_value) return *flag.inline_value;
        if (i + 1 >= args.size()) return core::error(0, fmt::format("{} needs a value", flag.name));
        return args[++i];
    };
    for (; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!arg.starts_with("-")) break;  // the command starts here, as with tini
        core::Flag flag = core::split_flag(arg);
        options.given.emplace(flag.name);
        auto takes_no_value = [&]() -> core::Result<void> {
            if (flag.inline_value)
                return core::error(0, fmt::format("{} takes no value", flag.name));
            return {};
        };
        // Flags that set a duration, by name.
        core::Duration* duration = nullptr;
        if (flag.name == "--kill-grace") duration = &options.kill_grace;
        if (flag.name == "--stop-timeout") duration = &options.stop_timeout;
        if (flag.name == "--finish-timeout") duration = &options.finish_timeout;
        if (flag.name == "--backoff-min") duration = &options.backoff_min;
        if (flag.name == "--backoff-max") duration = &options.backoff_max;
        if (flag.name == "--healthy-run") duration = &options.healthy_run;
        if (duration) {
            auto value = value_of(flag);
            if (!value) return std::unexpected(value.error());
            auto seconds = parse_seconds(*value);
            if (!seconds) {
                return core::error(0, fmt::format("{}: {}", flag.name, seconds.error().message()));
            }
            *duration = *seconds;
        } else if (flag.name == "--event-loop") {
            auto value = value_of(flag);
            if (!value) return std::unexpected(value.error());
            auto kind = core::parse_loop_kind(*value);
            if (!kind) return core::error(0, "--event-loop: " + kind.error().message());
            options.event_loop = *kind;
        } else if (flag.name == "--service-dir" || flag.name == "--control-socket" ||
                   flag.name == "--control-group" || flag.name == "--config") {
            auto value = value_of(flag);
            if (!value) return std::unexpected(value.error());
            if (value->empty()) return core::error(0, fmt::format("{} needs a value", flag.name));
            if (flag.name == "--service-dir") options.service_dirs.emplace_back(*value);
            if (flag.name == "--control-socket") options.control_socket = *value;
            if (flag.name == "--control-group") options.control_group = *value;
            if (flag.name == "--config") options.config_file = std::string(*value);
        } else if (is_output_flag(flag.name)) {
            auto value = value_of(flag);
            if (!value) return std::unexpected(value.error());
            if (auto ok = parse_output_flag(flag.name, *value, options.output); !ok) {
                return std::unexpected(ok.error());
            }
        } else if (flag.name == "--log-level") {
            auto value = value_of(flag);
            if (!value) return std::unexpected(value.error());
            auto level = parse_log_level(*value);
            if (!level) {
                return core::error(0, fmt::format("--log-level: unknown level '{}' (trace, "
                                                  "debug, info, warn, error, off)",
                                                  *value));
            }
            options.log_level = *level;
        } else if (flag.name == "--signal-group" || flag.name == "-g") {
            if (auto ok = takes_no_value(); !ok) return std::unexpected(ok.error());
            options.signal_group = true;
        } else if (flag.name == "--no-kill-all-on-exit") {
            if (auto ok = takes_no_value(); !ok) return std::unexpected(ok.error());
            options.kill_all_on_exit = false;
        } else if (flag.name == "--check-config") {
            if (auto ok = takes_no_value(); !ok) return std::unexpected(ok.error());
            options.check_config = true;
        } else if (flag.name == "--no-supervise-dir") {
            if (auto ok = takes_no_value(); !ok) return std::unexpected(ok.error());
            options.supervise_dir = false;
        } else if (flag.name == "--quiet" || flag.name == "-q") {
            if (auto ok = takes_no_value(); !ok) return std::unexpected(ok.error());
            options.log_level = spdlog::level::warn;
        } else if (flag.name == "--help" || flag.name == "-h") {
            options.help = true;
            return options;
        } else if (flag.name == "--version") {
            options.version = true;
            return options;
        } else {
            return core::error(0, fmt::format("unknown option '{}'", arg));
        }
    }
    for (; i < args.size(); ++i) options.command.emplace_back(args[i]);
    // Only flags against flags: the file's [defaults] may hold the other bound, and the
    // loader checks the merged values.
    if (options.given.contains("--backoff-min") && options.given.contains("--backoff-max") &&
        options.backoff_max < options.backoff_min) {
        return core::error(0, "--backoff-max must not be less than --backoff-min");
    }
    return options;
}

std::string_view svinit_usage() {
    return R"(usage: svinit [OPTIONS] [--] COMMAND [ARGS...]
       svinit [OPTIONS] --service-dir DIR... [-- COMMAND [ARGS...]]
       svinit [OPTIONS] --config FILE [-- COMMAND [ARGS...]]
       svinit --check-config [--config FILE] [OPTIONS]

Runs COMMAND as a child, passes signals on to it, reaps every zombie, and when it
exits stops every remaining process and exits with its status (128+N if killed by
signal N). Supervises the runit services in the service directories beside it,
or alone (then /etc/service by default, when it exists), controlled with svctl.

options:
  --event-loop=auto|io_uring|epoll  event loop backend (default auto: io_uring,
                                    falling back to epoll where it is refused)
  --kill-grace SECONDS              time between SIGTERM and SIGKILL for the
                                    processes left when COMMAND exits (default 5)
  -g, --signal-group                pass signals to COMMAND's whole process group
  --no-kill-all-on-exit             do not stop the remaining processes
  --service-dir DIR                 a runit service directory (repeatable;
                                    without COMMAND: /etc/service if it exists)
  --control-socket PATH             svctl's socket (default
                                    /run/svinit/control.sock)
  --control-group GROUP             also let GROUP use the control socket
  --config FILE                     the main TOML file (default
                                    /etc/svinit/svinit.toml when it exists);
                                    flags win over its settings
  --check-config                    validate the configuration (the TOML files
                                    and the runit service directories), print
                                    every error, start nothing; exit 0 or 1
  --no-supervise-dir                do not keep runit's NAME/supervise/
                                    directories (for runit's own sv)
  --stop-timeout SECONDS            TERM to KILL for a service (default 10)
  --finish-timeout SECONDS          time limit of ./finish (default 5)
  --healthy-run SECONDS             a run this long restarts at once (default 1)
  --backoff-min SECONDS             first restart delay after a quick exit (0.1)
  --backoff-max SECONDS             the delay doubles up to this (default 30)
  --service-output MODE             where services' output goes: inherit (their
                                    own stdout/stderr, the default), prefix
                                    ("NAME | line" on svinit's stdout), json
                                    (one JSON object per line) or file
  --service-output-full block|drop  when svinit's stdout is full: stop reading
                                    services (default) or drop their lines
  --service-log-prefix FIELDS       prefix mode: what stands before " | ", of
                                    name, stream, rfc3339, tai64n, comma-
                                    separated (default name)
  --service-log-dir DIR             file mode: NAME.log here (/var/log/svinit)
  --service-log-max-size SIZE       file mode: rotate at this size (default 1M)
  --service-log-keep N              file mode: old files kept (default 5)
  --service-log-ring SIZE           last output kept per service for svctl
                                    logs (default 64K)
  --log-level LEVEL                 trace, debug, info, warn, error or off
  -q, --quiet                       only warnings and errors (--log-level warn)
  -h, --help                        show this help
  --version                         show the version

exit status: COMMAND's status; 2 for a usage error; 126 when COMMAND cannot be
executed; 127 when it is not found; 1 when svinit itself cannot start or the
configuration has errors.
)";
}

}  // namespace svinit::launch
