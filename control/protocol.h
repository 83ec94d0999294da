#pragma once
// The control protocol between svctl and svinit, as plain values and a pure codec.
//
// Framing: one JSON object per line ('\n'-terminated), UTF-8, over a unix stream socket.
// A client sends a request and reads one response line per request, in order. Every
// message carries "v": kProtocolVersion. docs/protocol.md is the reference.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "services/supervisor_api.h"

namespace svinit::control {

inline constexpr int kProtocolVersion = 1;
// A request line longer than this is refused ("too_large") and the connection closed.
inline constexpr std::size_t kMaxRequestBytes = 64 * 1024;
// Most service names a request may list.
inline constexpr std::size_t kMaxServicesPerRequest = 4096;
// Longest a client may wait in one `wait` request.
inline constexpr std::chrono::milliseconds kMaxWaitTimeout = std::chrono::hours(24);
// The server never sends a longer response line (it answers too_large instead), so a
// client may bound its read buffer by this.
inline constexpr std::size_t kMaxResponseBytes = 16 * 1024 * 1024;

// A refused reload's answer lists at most this many errors (and how many more there were).
inline constexpr std::size_t kMaxReloadErrors = 100;

// The most lines one `logs` request may ask for.
inline constexpr std::size_t kMaxLogLines = 1'000'000;
// The furthest back `logs --since` may reach: a year, in milliseconds.
inline constexpr std::chrono::milliseconds kMaxLogSince = std::chrono::hours(24 * 366);

enum class RequestKind { Status, Command, Wait, Shutdown, Check, Logs, Reload, Show };

struct Request {
    RequestKind kind = RequestKind::Status;
    services::Command command = services::Command::Up;     // kind == Command
    services::WaitTarget target = services::WaitTarget::Up;  // kind == Wait
    std::chrono::milliseconds timeout{0};                  // kind == Wait; 0: no timeout
    std::vector<std::string> services;  // names or paths as the user gave them;
                                        // empty with Status means every service;
                                        // exactly one with Logs; one or more with Show
    std::size_t lines = 10;             // kind == Logs: the last this many lines
    bool follow = false;                // kind == Logs: then every new line, one per message
    // kind == Logs: only lines svinit read at most this long ago (by svinit's clock)
    std::optional<std::chrono::milliseconds> since{};

    bool operator==(const Request&) const = default;
};

// Machine-readable error codes, stable across versions.
enum class ErrorCode {
    None,
    BadRequest,          // not JSON, wrong fields, unknown command
    UnsupportedVersion,  // "v" is not one we speak
    TooLarge,            // request line over kMaxRequestBytes (or a flood behind a wait)
    PermissionDenied,    // SO_PEERCRED says neither root, the owner, nor the group
    UnknownService,
    Failed,              // the operation was tried and failed
    Timeout,             // wait did not reach its target in time
    Busy,                // no connection slot for this client now, or out of fds
};

std::string_view to_string(ErrorCode code);  // the wire names; "none" for None
std::optional<ErrorCode> parse_error_code(std::string_view text);  // not "none"

// One effective value of a service's definition (svctl show).
struct SpecEntry {
    std::string key;  // its key path below the service: "restart.policy", "environment.MODE"
    // The value as JSON text, which for every value shown is TOML as well: "\"on-failure\"",
    // "[\"/bin/app\", \"-v\"]", "5", "true". On the wire it is the JSON value itself.
    std::string value;
    // "FILE:LINE:COLUMN", "[defaults] FILE:LINE:COLUMN", a flag ("--stop-timeout"), a runit
    // directory, or "default".
    std::string origin;
    bool operator==(const SpecEntry&) const = default;
};

// What svctl show prints of one service.
struct Definition {
    std::string source;      // "toml" or "runit"
    std::string defined_at;  // its table, file or directory
    std::vector<SpecEntry> entries;
    bool operator==(const Definition&) const = default;
};

// One service's part of a response.
struct ServiceResult {
    std::string service;  // exactly as the request named it
    ErrorCode error = ErrorCode::None;
    std::string message;  // human-readable, names the service
    std::optional<services::ServiceStatus> status;  // with Status requests
    // With Show requests. Initialised here, so that {service, error, message, status} stays
    // a complete aggregate.
    std::optional<Definition> definition = std::nullopt;
};

struct Response {
    ErrorCode error = ErrorCode::None;  // for the request as a whole
    std::string message;
    std::vector<ServiceResult> results;  // one per requested service, in order
    bool check_ok = false;               // with Check requests
    std::vector<services::LogLine> lines;  // with Logs requests, oldest first

    bool ok() const;  // no error, and no result with an error
};

// Encoders return one line without the trailing '\n'.
std::string encode_request(const Request& request);
core::Result<Request> decode_request(std::string_view line);
std::string encode_response(const Response& response);
core::Result<Response> decode_response(std::string_view line);

// The code to answer a failed decode_request() with: UnsupportedVersion, TooLarge (the
// line is over kMaxRequestBytes) or BadRequest. The error's context is the message.
ErrorCode decode_error_code(const core::Error& error);

// Names used on the wire and by svctl: "up", "down", "once", "restart", "pause", "cont",
// "term", "kill", "hup", "int", "quit", "usr1", "usr2", "alarm".
std::string_view command_name(services::Command command);
std::optional<services::Command> parse_command_name(std::string_view name);

}  // namespace svinit::control
