#pragma once
// Status lines in runit's sv format, and the JSON svctl prints with --json. Pure: the
// current time comes in as an argument.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "control/protocol.h"
#include "services/supervisor_api.h"

namespace svinit::svctl {

using WallTime = std::chrono::system_clock::time_point;

// Svctl prints svinit's own state words (starting, stopping, backoff, failed, with the
// reason for the last two); Runit maps them onto runit's run / down / finish so that
// scripts parsing sv's output see only what runit would print (docs/svctl.md has the table).
enum class Dialect { Svctl, Runit };

// Whole seconds from `since` to `now`, 0 when `since` lies in the future.
std::int64_t seconds_since(WallTime since, WallTime now);

// One program's part: "run: web: (pid 123) 45s, normally down, want down".
std::string format_process(std::string_view name, const services::ProcessStatus& process,
                           WallTime now, Dialect dialect);

// The service's line without '\n': its part, then "; " and the logger's part (named
// "log") when it has a logger, as `sv status` prints it.
std::string format_status_line(std::string_view name, const services::ServiceStatus& status,
                               WallTime now, Dialect dialect);

// The JSON text (one line) of `svctl --json status`: {"services": [...]}, one object per
// result, each with every field of the status, or with "error" and "message".
// display_names[i] names results[i] (the names as given); empty: use the results' own.
std::string status_json(std::span<const control::ServiceResult> results,
                        std::span<const std::string> display_names, WallTime now);

// The JSON text (one line) of any other command's answer with --json: ok, error,
// message, results (service, error, message), and check_ok for a Check request.
std::string response_json(const control::Response& response, control::RequestKind kind,
                          std::span<const std::string> display_names);

}  // namespace svinit::svctl
