#pragma once
// svctl's commands carried out over an exchange function, printing through a console:
// everything but the socket and the terminal, so tests drive it with canned responses.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "control/protocol.h"
#include "core/error.h"
#include "core/exit_codes.h"
#include "svctl/args.h"
#include "svctl/format.h"

namespace svinit::svctl {

// One request, one response; timeout nullopt means wait forever. Errors are transport
// failures (ControlClient's): errno EACCES/EPERM means permission denied, any other
// means svinit could not be reached.
using Exchange = std::function<core::Result<control::Response>(
    const control::Request&, std::optional<std::chrono::milliseconds>)>;

// The next response of the same connection (logs -f); nullopt when svinit closed it.
using NextResponse = std::function<core::Result<std::optional<control::Response>>()>;

struct RunContext {
    Exchange exchange;
    NextResponse next;  // for logs -f
    std::function<void(std::string_view line)> out;  // a line without '\n', for stdout
    std::function<void(std::string_view line)> err;  // a line without '\n', for stderr
    std::function<WallTime()> wall_now;              // for "45s" in status lines
    std::function<std::chrono::steady_clock::time_point()> steady_now;  // for sv -w
    std::string socket_path;                                            // named in messages
    std::string cwd;  // relative service paths are made absolute against it
};

// The exit code for one error code (None: 0). When several apply, the largest wins.
int exit_code_for(control::ErrorCode code) noexcept;
int exit_code_for_transport(const core::Error& error) noexcept;

// The wire timeout of a wait: never 0, which would mean "no timeout" on the wire.
std::chrono::milliseconds wire_wait_timeout(std::chrono::milliseconds timeout) noexcept;

// "web: no such service" without the service name repeated, for messages that name it.
std::string strip_service_prefix(std::string_view message, std::string_view service);

// Runs svctl (not sv) with parsed arguments (action Run); returns the exit code.
int run_svctl(const SvctlArgs& args, const RunContext& context);

}  // namespace svinit::svctl
