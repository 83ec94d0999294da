#include "svctl/run.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/exit_codes.h"
#include "services/log_format.h"
#include "svctl/client.h"
#include "svctl/show_format.h"

namespace svinit::svctl {
namespace {

using control::ErrorCode;
using control::RequestKind;

// Prints what went wrong with the request as a whole (nothing for None); returns the
// exit code it stands for.
int report_request_error(const control::Response& response, const RunContext& context) {
    std::string_view detail = response.message;
    switch (response.error) {
        case ErrorCode::None:
            return exit_code::kOk;
        case ErrorCode::PermissionDenied:
            context.err(
                fmt::format("svctl: permission denied by svinit at {}", context.socket_path));
            break;
        case ErrorCode::Busy:
            context.err(fmt::format("svctl: svinit at {} is busy: {}", context.socket_path,
                                    detail.empty() ? "too many clients" : detail));
            break;
        case ErrorCode::UnsupportedVersion:
            context.err(fmt::format("svctl: svinit at {} speaks another protocol version{}{}",
                                    context.socket_path, detail.empty() ? "" : ": ", detail));
            break;
        case ErrorCode::BadRequest:
        case ErrorCode::TooLarge:
            context.err(fmt::format("svctl: svinit at {} refused the request: {}",
                                    context.socket_path,
                                    detail.empty() ? control::to_string(response.error) : detail));
            break;
        case ErrorCode::UnknownService:
        case ErrorCode::Failed:
        case ErrorCode::Timeout:
            // With per-service results, those say it; otherwise the message does.
            if (response.results.empty()) {
                context.err(fmt::format(
                    "svctl: {}", detail.empty() ? control::to_string(response.error) : detail));
            }
            break;
    }
    return exit_code_for(response.error);
}

std::string default_message(ErrorCode code, const control::Request& request) {
    switch (code) {
        case ErrorCode::UnknownService:
            return "no such service";
        case ErrorCode::PermissionDenied:
            return "permission denied";
        case ErrorCode::Timeout:
            if (request.kind == RequestKind::Wait) {
                return fmt::format("timed out waiting for {}",
                                   request.target == services::WaitTarget::Up ? "up" : "down");
            }
            return "timed out";
        case ErrorCode::None:
        case ErrorCode::BadRequest:
        case ErrorCode::UnsupportedVersion:
        case ErrorCode::TooLarge:
        case ErrorCode::Failed:
        case ErrorCode::Busy:
            break;
    }
    return std::string(control::to_string(code));
}

// One line per failed service, naming it as the user did; returns the exit code.
int report_service_error(const control::ServiceResult& result, std::string_view display,
                         const control::Request& request, const RunContext& context) {
    std::string message = result.error == ErrorCode::UnknownService
                              ? std::string("no such service")
                              : strip_service_prefix(result.message, result.service);
    message = strip_service_prefix(message, display);
    if (message.empty()) message = default_message(result.error, request);
    context.err(fmt::format("svctl: {}: {}", display, message));
    return exit_code_for(result.error);
}

std::string display_of(const control::ServiceResult& result, const SvctlArgs& args,
                       std::size_t index) {
    if (!args.services.empty() && index < args.services.size()) return args.services[index];
    if (result.status && !result.status->name.empty()) return result.status->name;
    return result.service;
}

// After a failed check: which services and loggers are not as wanted, one line each.
void explain_check(const RunContext& context) {
    control::Request request;
    request.kind = RequestKind::Status;
    auto response = context.exchange(request, kDefaultTimeout);
    bool named = false;
    if (response) {
        for (const auto& result : response->results) {
            if (!result.status) continue;
            if (services::service_ok(*result.status)) continue;
            context.err(fmt::format("svctl: check failed: {}",
                                    format_status_line(result.status->name, *result.status,
                                                       context.wall_now(), Dialect::Svctl)));
            named = true;
        }
    }
    if (!named) context.err("svctl: check failed: not every service is as wanted");
}

}  // namespace

int exit_code_for(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::None:
            return exit_code::kOk;
        case ErrorCode::BadRequest:
        case ErrorCode::TooLarge:
        case ErrorCode::Failed:
        case ErrorCode::Timeout:
            return exit_code::kFailed;
        case ErrorCode::UnsupportedVersion:
        case ErrorCode::Busy:
            return exit_code::kUnreachable;
        case ErrorCode::PermissionDenied:
            return exit_code::kPermissionDenied;
        case ErrorCode::UnknownService:
            return exit_code::kUnknownService;
    }
    return exit_code::kFailed;
}

int exit_code_for_transport(const core::Error& error) noexcept {
    return (error.code == EACCES || error.code == EPERM) ? exit_code::kPermissionDenied
                                                         : exit_code::kUnreachable;
}

std::chrono::milliseconds wire_wait_timeout(std::chrono::milliseconds timeout) noexcept {
    return std::clamp(
        timeout, std::chrono::milliseconds(1),
        std::chrono::duration_cast<std::chrono::milliseconds>(control::kMaxWaitTimeout));
}

std::string strip_service_prefix(std::string_view message, std::string_view service) {
    if (!service.empty() && message.size() > service.size() + 2 && message.starts_with(service) &&
        message.substr(service.size()).starts_with(": ")) {
        message.remove_prefix(service.size() + 2);
    }
    return std::string(message);
}

namespace {

// svctl logs: the lines of the first answer, then with -f those of every next one, each
// as the service wrote it (or, with --json, as one JSON object).
int run_logs(const SvctlArgs& args, const control::Request& request, const RunContext& context) {
    const std::string& display = args.services.front();
    const auto print = [&](const control::Response& response) {
        for (const auto& line : response.lines) {
            if (args.json) {
                std::string json = services::format_json(display, line);
                json.pop_back();  // its '\n'; out adds one
                context.out(json);
            } else {
                context.out(line.text);
            }
        }
    };
    auto response = context.exchange(request, kDefaultTimeout);
    if (!response) {
        context.err("svctl: " + response.error().message());
        return exit_code_for_transport(response.error());
    }
    int code = report_request_error(*response, context);
    for (const auto& result : response->results) {
        if (result.error != ErrorCode::None) {
            code = std::max(code, report_service_error(result, display, request, context));
        }
    }
    if (code != exit_code::kOk) return code;
    print(*response);
    while (args.follow && context.next) {
        auto next = context.next();
        if (!next) {
            context.err("svctl: " + next.error().message());
            return exit_code_for_transport(next.error());
        }
        if (!*next) return exit_code::kOk;  // svinit closed the connection (it is stopping)
        if ((*next)->error != ErrorCode::None) return report_request_error(**next, context);
        print(**next);
    }
    return exit_code::kOk;
}

}  // namespace

int run_svctl(const SvctlArgs& args, const RunContext& context) {
    control::Request request;
    request.kind = args.kind;
    request.command = args.command;
    request.target = args.target;
    for (const auto& name : args.services) {
        request.services.push_back(wire_service_name(name, context.cwd));
    }
    if (args.kind == RequestKind::Logs) {
        request.lines = args.lines;
        request.follow = args.follow;
        request.since = args.since;
        return run_logs(args, request, context);
    }
    std::optional<std::chrono::milliseconds> timeout = kDefaultTimeout;
    if (args.kind == RequestKind::Wait) {
        request.timeout =
            args.timeout ? wire_wait_timeout(*args.timeout) : std::chrono::milliseconds(0);
        timeout = args.timeout ? std::optional(request.timeout + kWaitSlack) : std::nullopt;
    }

    auto response = context.exchange(request, timeout);
    if (!response) {
        context.err("svctl: " + response.error().message());
        return exit_code_for_transport(response.error());
    }

    if (args.json) {
        if (args.kind == RequestKind::Status) {
            context.out(status_json(response->results, args.services, context.wall_now()));
        } else if (args.kind == RequestKind::Show) {
            context.out(definition_json(response->results, args.services));
        } else {
            context.out(response_json(*response, args.kind, args.services));
        }
    }
    int code = report_request_error(*response, context);
    for (std::size_t i = 0; i < response->results.size(); ++i) {
        const auto& result = response->results[i];
        std::string display = display_of(result, args, i);
        if (result.error != ErrorCode::None) {
            code = std::max(code, report_service_error(result, display, request, context));
        } else if (args.kind == RequestKind::Status && !result.status) {
            context.err(fmt::format("svctl: {}: svinit sent no status", display));
            code = std::max<int>(code, exit_code::kFailed);
        } else if (args.kind == RequestKind::Show && !result.definition) {
            context.err(fmt::format("svctl: {}: svinit sent no definition", display));
            code = std::max<int>(code, exit_code::kFailed);
        } else if (args.kind == RequestKind::Show && !args.json) {
            if (i > 0) context.out("");
            context.out(format_definition(display, *result.definition));
        } else if (args.kind == RequestKind::Status && !args.json) {
            context.out(
                format_status_line(display, *result.status, context.wall_now(), Dialect::Svctl));
        }
    }
    if (args.kind == RequestKind::Check && code == exit_code::kOk && !response->check_ok) {
        explain_check(context);
        code = exit_code::kFailed;
    }
    return code;
}

}  // namespace svinit::svctl
