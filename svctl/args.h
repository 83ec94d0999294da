#pragma once
// svctl's command line, and runit's sv command line when svctl runs as `sv`, parsed into
// plain values (no side effects: the environment comes in as arguments).

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control/protocol.h"
#include "core/error.h"
#include "services/supervisor_api.h"

namespace svinit::svctl {

inline constexpr std::string_view kDefaultSocketPath = "/run/svinit/control.sock";

// ---- svctl [--socket PATH] [--json] COMMAND [SERVICE...]

enum class SvctlAction { Run, Help, Version };

struct SvctlArgs {
    SvctlAction action = SvctlAction::Run;
    std::string socket_path{kDefaultSocketPath};
    bool json = false;
    control::RequestKind kind = control::RequestKind::Status;
    services::Command command = services::Command::Up;       // kind == Command
    services::WaitTarget target = services::WaitTarget::Up;  // kind == Wait
    std::optional<std::chrono::milliseconds> timeout;        // kind == Wait; nullopt: forever
    std::vector<std::string> services;                       // exactly as given
    std::size_t lines = 10;                                  // kind == Logs: -n
    bool follow = false;                                     // kind == Logs: -f
    std::optional<std::chrono::milliseconds> since;          // kind == Logs: --since
};

// Usage errors carry one line naming the argument; the caller prints it and exits 2.
// socket_env is $SVINIT_SOCKET (used when no --socket is given and it is not empty).
core::Result<SvctlArgs> parse_svctl_args(std::span<const std::string_view> args,
                                         std::optional<std::string_view> socket_env);

std::string_view svctl_usage();

// ---- sv [-v] [-w SEC] COMMAND SERVICE...

// What sv checks after its command, with runit's meaning (sv.c's check()).
enum class SvCheck {
    None,       // nothing is printed
    Immediate,  // "ok: STATUS" at once (signals, pause, cont, once)
    Up,         // wait until run
    Down,       // wait until down
    Ready,      // `check`: wait until run only while starting (runit's ./check)
};

enum class SvAction {
    Status,      // status lines, nothing sent
    Control,     // send `command`, then `check`
    Check,       // send nothing, then SvCheck::Ready
    TryRestart,  // restart only what is running with want up, then wait for it
};

struct SvArgs {
    bool version = false;  // -V: print the version, then the usage, and exit 100 (as sv)
    bool verbose = false;
    std::chrono::seconds wait{7};
    std::string verb;  // as given
    SvAction action = SvAction::Status;
    services::Command command = services::Command::Up;  // action == Control
    SvCheck check = SvCheck::None;                      // after -v and the LSB rules
    bool kill_on_timeout = false;                       // force-*: KILL what timed out
    std::vector<std::string> services;                  // exactly as given
};

inline constexpr int kSvUsageExit = 100;

// sv's getopt "w:vV", then runit's verb table (by first letter, as sv.c does). Errors mean
// "print sv's usage and exit 100". svwait_env is $SVWAIT.
core::Result<SvArgs> parse_sv_args(std::span<const std::string_view> args,
                                   std::optional<std::string_view> svwait_env);

std::string_view sv_usage();  // "usage: sv [-v] [-w sec] command service ...\n"

// ---- shared

// What goes on the wire for a service argument. A name is passed as is; anything that
// looks like a path (it starts with '/' or '.', or holds a '/') is made absolute against
// cwd (svinit resolves it in its own working directory, not ours) and normalised
// lexically, without a trailing '/'.
std::string wire_service_name(std::string_view arg, std::string_view cwd);

// Parses a number of seconds ("5", "0.25") from 0 to 86400; used by wait --timeout.
core::Result<std::chrono::milliseconds> parse_timeout_seconds(std::string_view text);

}  // namespace svinit::svctl
