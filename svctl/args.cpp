#include "svctl/args.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <filesystem>

#include "config/duration.h"
#include "core/cli_flag.h"

namespace svinit::svctl {
namespace {

using services::Command;

constexpr std::string_view kSvctlUsage =
    "usage: svctl [--socket PATH] [--json] COMMAND [SERVICE...]\n"
    "\n"
    "Commands:\n"
    "  status [SERVICE...]                   one sv-style line per service (all without SERVICE)\n"
    "  up|down|once|restart|exit SERVICE...  change what the service wants\n"
    "  pause|cont SERVICE...                 send STOP / CONT to the run process\n"
    "  term|kill|hup|int|quit|usr1|usr2|alarm SERVICE...\n"
    "                                        send that signal to the run process\n"
    "                                        (SERVICE/log: to the logger)\n"
    "  wait up|down [--timeout S] SERVICE... block until every SERVICE is up / down\n"
    "  show SERVICE...                       its effective definition, defaults filled in,\n"
    "                                        with where each value came from\n"
    "  logs [-n N] [-f] [--since D] SERVICE  the last N (10) lines of its captured output;\n"
    "                                        -f: then new lines as they come; --since 10m:\n"
    "                                        those of the last 10 minutes (all, without -n)\n"
    "  shutdown                              stop everything, as SIGTERM to svinit does\n"
    "  check                                 exit 0 when every service is as wanted\n"
    "  reload                                read the configuration again and apply it;\n"
    "                                        with errors nothing changes (exit 1)\n"
    "  setuser USER COMMAND [ARG...]         run COMMAND as USER (first argument only;\n"
    "                                        see 'svctl setuser --help')\n"
    "\n"
    "Options:\n"
    "  --socket PATH   svinit's control socket (default $SVINIT_SOCKET, else\n"
    "                  /run/svinit/control.sock)\n"
    "  --json          print the answer as JSON\n"
    "  -h, --help      print this help; --version prints the version\n"
    "\n"
    "Exit status: 0 ok, 1 failed or timed out, 2 usage, 3 cannot reach svinit,\n"
    "4 permission denied, 5 unknown service. Invoked as `sv`, svctl speaks runit's sv;\n"
    "as `setuser`, it is `svctl setuser`.\n";

constexpr std::string_view kSvUsage = "usage: sv [-v] [-w sec] command service ...\n";

core::Result<void> check_services(std::string_view verb, const std::vector<std::string>& names) {
    for (const auto& name : names) {
        if (name.empty()) return core::error(0, fmt::format("{}: empty service name", verb));
    }
    if (names.size() > control::kMaxServicesPerRequest) {
        return core::error(0, fmt::format("{}: too many services ({}, at most {})", verb,
                                          names.size(), control::kMaxServicesPerRequest));
    }
    return {};
}

// Reads svctl's positional words (command and its operands) into args.
core::Result<void> interpret_words(std::vector<std::string> words, bool has_timeout,
                                   bool has_logs_option, SvctlArgs& args) {
    if (words.empty()) return core::error(0, "missing command");
    std::string verb = words.front();
    std::vector<std::string> rest(std::make_move_iterator(words.begin() + 1),
                                  std::make_move_iterator(words.end()));
    if (has_timeout && verb != "wait") {
        return core::error(0, fmt::format("--timeout goes with wait, not {}", verb));
    }
    if (has_logs_option && verb != "logs") {
        return core::error(0, fmt::format("-n, -f and --since go with logs, not {}", verb));
    }
    if (verb == "status") {
        args.kind = control::RequestKind::Status;
    } else if (verb == "wait") {
        args.kind = control::RequestKind::Wait;
        if (rest.empty()) return core::error(0, "wait: missing up, ready or down");
        // ready is up: state run is reached only once ready, where readiness is configured.
        if (rest.front() == "up" || rest.front() == "ready") {
            args.target = services::WaitTarget::Up;
        } else if (rest.front() == "down") {
            args.target = services::WaitTarget::Down;
        } else {
            return core::error(0, fmt::format("wait: '{}' is not up, ready or down", rest.front()));
        }
        rest.erase(rest.begin());
    } else if (verb == "show") {
        args.kind = control::RequestKind::Show;
    } else if (verb == "logs") {
        args.kind = control::RequestKind::Logs;
        if (rest.size() != 1) return core::error(0, "logs: needs exactly one service");
    } else if (verb == "shutdown" || verb == "check" || verb == "reload") {
        args.kind = verb == "shutdown" ? control::RequestKind::Shutdown
                    : verb == "check"  ? control::RequestKind::Check
                                       : control::RequestKind::Reload;
        if (!rest.empty()) return core::error(0, fmt::format("{} takes no service", verb));
    } else if (auto command = control::parse_command_name(verb)) {
        args.kind = control::RequestKind::Command;
        args.command = *command;
    } else {
        return core::error(0, fmt::format("unknown command '{}'", verb));
    }
    bool needs_service = args.kind == control::RequestKind::Command ||
                         args.kind == control::RequestKind::Wait ||
                         args.kind == control::RequestKind::Show;
    if (needs_service && rest.empty()) {
        return core::error(0, fmt::format("{} needs at least one service", verb));
    }
    if (auto ok = check_services(verb, rest); !ok) return std::unexpected(ok.error());
    args.services = std::move(rest);
    return {};
}

// runit's scan_ulong: the leading decimal digits, 0 when there are none; capped at a day.
std::chrono::seconds scan_seconds(std::string_view text) {
    unsigned long value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') break;
        value = value * 10 + static_cast<unsigned long>(c - '0');
        if (value > 86400) return std::chrono::seconds(86400);
    }
    return std::chrono::seconds(static_cast<long>(value));
}

// runit's verb table. `always` is true for the LSB verbs, which wait even without -v.
struct SvVerb {
    SvAction action = SvAction::Control;
    Command command = Command::Up;
    SvCheck check = SvCheck::None;
    bool always = false;
    bool kill = false;
};

std::optional<SvVerb> lookup_sv_verb(std::string_view verb) {
    auto control = [](Command command, SvCheck check, bool always = false, bool kill = false) {
        return SvVerb{SvAction::Control, command, check, always, kill};
    };
    if (verb.empty()) return std::nullopt;
    switch (verb.front()) {
        // svinit has no per-service supervisor to exit: exit stops the service instead
        // (with control/x, as runsv's exit).
        case 'x':
        case 'e':
            return control(Command::Exit, SvCheck::Down);
        case 'X':
        case 'E':
            return control(Command::Exit, SvCheck::Down, true, true);
        case 'D':
            return control(Command::Down, SvCheck::Down, true, true);
        case 'T':
            return SvVerb{SvAction::TryRestart, Command::Restart, SvCheck::Up, true, true};
        case 'u':
            return control(Command::Up, SvCheck::Up);
        case 'd':
            return control(Command::Down, SvCheck::Down);
        case 'o':
            return control(Command::Once, SvCheck::Immediate);
        case 'p':
            return control(Command::Pause, SvCheck::Immediate);
        case 'h':
            return control(Command::Hup, SvCheck::Immediate);
        case 'a':
            return control(Command::Alarm, SvCheck::Immediate);
        case 'i':
            return control(Command::Int, SvCheck::Immediate);
        case 'k':
            return control(Command::Kill, SvCheck::Immediate);
        case 'q':
            return control(Command::Quit, SvCheck::Immediate);
        case '1':
            return control(Command::Usr1, SvCheck::Immediate);
        case '2':
            return control(Command::Usr2, SvCheck::Immediate);
        case 't':
            if (verb == "try-restart") {
                return SvVerb{SvAction::TryRestart, Command::Restart, SvCheck::Up, true, false};
            }
            return control(Command::Term, SvCheck::Immediate);
        case 'c':
            if (verb == "check") return SvVerb{SvAction::Check, Command::Up, SvCheck::Ready, true};
            return control(Command::Cont, SvCheck::Immediate);
        case 's':
            if (verb == "shutdown") return control(Command::Exit, SvCheck::Down, true);
            if (verb == "start") return control(Command::Up, SvCheck::Up, true);
            if (verb == "stop") return control(Command::Down, SvCheck::Down, true);
            return SvVerb{SvAction::Status, Command::Up, SvCheck::None, false, false};
        case 'r':
            if (verb == "restart") return control(Command::Restart, SvCheck::Up, true);
            if (verb == "reload") return control(Command::Hup, SvCheck::Immediate, true);
            return std::nullopt;
        case 'f':
            if (verb == "force-reload") {
                return SvVerb{SvAction::TryRestart, Command::Restart, SvCheck::Up, true, true};
            }
            if (verb == "force-restart") return control(Command::Restart, SvCheck::Up, true, true);
            if (verb == "force-shutdown") return control(Command::Exit, SvCheck::Down, true, true);
            if (verb == "force-stop") return control(Command::Down, SvCheck::Down, true, true);
            return std::nullopt;
        default:
            return std::nullopt;
    }
}

}  // namespace

core::Result<SvctlArgs> parse_svctl_args(std::span<const std::string_view> args,
                                         std::optional<std::string_view> socket_env) {
    SvctlArgs parsed;
    if (socket_env && !socket_env->empty()) parsed.socket_path = std::string(*socket_env);
    std::vector<std::string> words;
    bool options_done = false;
    bool has_timeout = false;
    bool has_logs_option = false;
    bool lines_given = false;  // -n: --since then keeps the last N of its lines
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (options_done || !arg.starts_with("-") || arg == "-") {
            words.emplace_back(arg);
            continue;
        }
        if (arg == "--") {
            options_done = true;
            continue;
        }
        core::Flag flag = core::split_flag(arg);
        auto value_of = [&]() -> core::Result<std::string_view> {
            if (flag.inline_value) return *flag.inline_value;
            if (i + 1 >= args.size())
                return core::error(0, fmt::format("{} needs a value", flag.name));
            return args[++i];
        };
        auto no_value = [&]() -> core::Result<void> {
            if (flag.inline_value)
                return core::error(0, fmt::format("{} takes no value", flag.name));
            return {};
        };
        if (flag.name == "--socket") {
            auto value = value_of();
            if (!value) return std::unexpected(value.error());
            if (value->empty()) return core::error(0, "--socket: empty path");
            parsed.socket_path = std::string(*value);
        } else if (flag.name == "--timeout") {
            auto value = value_of();
            if (!value) return std::unexpected(value.error());
            auto timeout = parse_timeout_seconds(*value);
            if (!timeout) return core::error(0, "--timeout: " + timeout.error().message());
            parsed.timeout = *timeout;
            has_timeout = true;
        } else if (flag.name == "-n" || flag.name == "--lines") {
            auto value = value_of();
            if (!value) return std::unexpected(value.error());
            std::size_t lines = 0;
            const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), lines);
            if (ec != std::errc() || end != value->data() + value->size() ||
                lines > control::kMaxLogLines) {
                return core::error(0, fmt::format("{}: '{}' is not a number of lines from 0 to {}",
                                                  flag.name, *value, control::kMaxLogLines));
            }
            parsed.lines = lines;
            lines_given = true;
            has_logs_option = true;
        } else if (flag.name == "--since") {
            auto value = value_of();
            if (!value) return std::unexpected(value.error());
            auto since = config::parse_duration(*value);
            if (!since || *since > control::kMaxLogSince) {
                return core::error(0, fmt::format("--since: '{}' is not a duration such as 30s, "
                                                  "10m or 2h (at most 8784h)",
                                                  *value));
            }
            parsed.since = std::chrono::duration_cast<std::chrono::milliseconds>(*since);
            if (!lines_given) parsed.lines = control::kMaxLogLines;
            has_logs_option = true;
        } else if (flag.name == "-f" || flag.name == "--follow") {
            if (auto ok = no_value(); !ok) return std::unexpected(ok.error());
            parsed.follow = true;
            has_logs_option = true;
        } else if (flag.name == "--json") {
            if (auto ok = no_value(); !ok) return std::unexpected(ok.error());
            parsed.json = true;
        } else if (flag.name == "-h" || flag.name == "--help") {
            parsed.action = SvctlAction::Help;
            return parsed;
        } else if (flag.name == "--version") {
            parsed.action = SvctlAction::Version;
            return parsed;
        } else {
            return core::error(0, fmt::format("unknown option '{}'", flag.name));
        }
    }
    if (auto ok = interpret_words(std::move(words), has_timeout, has_logs_option, parsed); !ok) {
        return std::unexpected(ok.error());
    }
    return parsed;
}

std::string_view svctl_usage() {
    return kSvctlUsage;
}

core::Result<SvArgs> parse_sv_args(std::span<const std::string_view> args,
                                   std::optional<std::string_view> svwait_env) {
    SvArgs parsed;
    if (svwait_env) parsed.wait = scan_seconds(*svwait_env);
    std::size_t i = 0;
    // getopt("w:vV") as runit's sgetopt does it: options stop at the first non-option.
    for (; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (!arg.starts_with("-") || arg == "-") break;
        for (std::size_t j = 1; j < arg.size(); ++j) {
            char c = arg[j];
            if (c == 'v') {
                parsed.verbose = true;
            } else if (c == 'w') {
                std::string_view value = arg.substr(j + 1);
                if (value.empty()) {
                    if (i + 1 >= args.size()) return core::error(0, "-w needs a value");
                    value = args[++i];
                }
                parsed.wait = scan_seconds(value);
                parsed.verbose = true;  // sv.c's `case 'w'` falls through into `case 'v'`
                break;
            } else if (c == 'V') {
                parsed.version = true;
                return parsed;
            } else {
                return core::error(0, fmt::format("illegal option -- {}", c));
            }
        }
    }
    if (i >= args.size()) return core::error(0, "missing command");
    parsed.verb = std::string(args[i++]);
    auto verb = lookup_sv_verb(parsed.verb);
    if (!verb) return core::error(0, fmt::format("unknown command '{}'", parsed.verb));
    for (; i < args.size(); ++i) parsed.services.emplace_back(args[i]);
    if (parsed.services.empty()) return core::error(0, "missing service");
    if (parsed.services.size() > control::kMaxServicesPerRequest) {
        return core::error(0, "too many services");
    }
    parsed.action = verb->action;
    parsed.command = verb->command;
    parsed.check = (verb->always || parsed.verbose) ? verb->check : SvCheck::None;
    parsed.kill_on_timeout = verb->kill;
    return parsed;
}

std::string_view sv_usage() {
    return kSvUsage;
}

std::string wire_service_name(std::string_view arg, std::string_view cwd) {
    // sv's rule: a path starts with '/' or '.' or ends with '/'; anything else is a name,
    // NAME/log a logger's.
    bool is_path = arg.starts_with('/') || arg.starts_with('.') || arg.ends_with('/');
    if (!is_path || (!arg.starts_with('/') && cwd.empty())) return std::string(arg);
    std::filesystem::path path(arg);
    if (path.is_relative()) path = std::filesystem::path(cwd) / path;
    std::string normal = path.lexically_normal().string();
    while (normal.size() > 1 && normal.ends_with('/')) normal.pop_back();
    return normal;
}

core::Result<std::chrono::milliseconds> parse_timeout_seconds(std::string_view text) {
    double seconds = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(seconds) ||
        seconds < 0 || seconds > 86400) {
        return core::error(0, fmt::format("'{}' is not a number of seconds from 0 to 86400", text));
    }
    return std::chrono::milliseconds(static_cast<long>(std::ceil(seconds * 1000.0)));
}

}  // namespace svinit::svctl
