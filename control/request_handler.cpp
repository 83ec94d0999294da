#include "control/request_handler.h"

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "control/spec_view.h"
#include "services/log_ring.h"

namespace svinit::control {
namespace {

using services::SupervisorApi;

ServiceResult unknown(const std::string& given) {
    return {given, ErrorCode::UnknownService, given + ": no such service", std::nullopt};
}

Response status(SupervisorApi& api, const Request& request) {
    Response response;
    if (request.services.empty()) {
        for (const std::string& name : api.service_names()) {
            // A service removed between the two calls is simply not listed.
            if (auto st = api.status(name)) {
                response.results.push_back({name, ErrorCode::None, {}, std::move(st)});
            }
        }
        return response;
    }
    for (const std::string& given : request.services) {
        const auto name = api.resolve(given);
        auto st = name ? api.status(*name) : std::nullopt;
        if (!st) {
            response.results.push_back(unknown(given));
            continue;
        }
        response.results.push_back({given, ErrorCode::None, {}, std::move(st)});
    }
    return response;
}

Response command(SupervisorApi& api, const Request& request) {
    Response response;
    for (const std::string& given : request.services) {
        const auto name = api.resolve(given);
        if (!name) {
            response.results.push_back(unknown(given));
            continue;
        }
        const auto done = api.command(*name, request.command);
        if (done) {
            response.results.push_back({given, ErrorCode::None, {}, std::nullopt});
        } else if (done.error().code == ENOENT) {
            response.results.push_back(unknown(given));
        } else {
            response.results.push_back({given, ErrorCode::Failed,
                                        given + ": " + std::string(command_name(request.command)) +
                                            ": " + done.error().message(),
                                        std::nullopt});
        }
    }
    return response;
}

// The effective definition of each service named, as unknown names are in status.
Response show(SupervisorApi& api, const Request& request) {
    Response response;
    for (const std::string& given : request.services) {
        const auto name = api.resolve(given);
        auto spec = name ? api.spec(*name) : std::nullopt;
        if (!spec) {
            response.results.push_back(unknown(given));
            continue;
        }
        ServiceResult result{given, ErrorCode::None, {}, std::nullopt};
        result.definition = describe_spec(*spec);
        response.results.push_back(std::move(result));
    }
    return response;
}

// The last lines of one service's captured output.
Response logs(SupervisorApi& api, const Request& request) {
    Response response;
    const std::string& given = request.services.front();
    const auto name = api.resolve(given);
    if (!name) {
        response.results.push_back(unknown(given));
        return response;
    }
    // With --since, every line the ring holds is a candidate; the time picks them.
    auto lines = api.logs(*name, request.since ? kMaxLogLines : request.lines);
    if (!lines) {
        if (lines.error().code == ENOENT) {
            response.results.push_back(unknown(given));
        } else {
            response.results.push_back(
                {given, ErrorCode::Failed, lines.error().context, std::nullopt});
        }
        return response;
    }
    response.results.push_back({given, ErrorCode::None, {}, std::nullopt});
    response.lines = request.since ? services::lines_since(std::move(*lines),
                                                           std::chrono::system_clock::now() -
                                                               *request.since,
                                                           request.lines)
                                   : std::move(*lines);
    return response;
}

// Reads every declaration again; a refused configuration's errors are the answer, one per
// line after a summary, at most kMaxReloadErrors of them.
Response reload(SupervisorApi& api) {
    auto reloaded = api.reload();
    Response response;
    if (reloaded) {
        response.message = "configuration reloaded";
        return response;
    }
    const auto& errors = reloaded.error();
    response.error = ErrorCode::Failed;
    response.message = "reload rejected, services unchanged: " + std::to_string(errors.size()) +
                       (errors.size() == 1 ? " error" : " errors");
    const std::size_t shown = std::min(errors.size(), kMaxReloadErrors);
    for (std::size_t i = 0; i < shown; ++i) response.message += "\n" + errors[i];
    if (shown < errors.size()) {
        response.message += "\n... and " + std::to_string(errors.size() - shown) + " more";
    }
    return response;
}

}  // namespace

Response error_response(ErrorCode code, std::string message) {
    Response response;
    response.error = code;
    response.message = std::move(message);
    return response;
}

Response handle_request(SupervisorApi& api, const Request& request) {
    switch (request.kind) {
        case RequestKind::Status:
            return status(api, request);
        case RequestKind::Command:
            return command(api, request);
        case RequestKind::Shutdown: {
            api.shutdown();
            Response response;
            response.message = "svinit is shutting down";
            return response;
        }
        case RequestKind::Check: {
            Response response;
            response.check_ok = api.check();
            return response;
        }
        case RequestKind::Reload:
            return reload(api);
        case RequestKind::Show:
            return show(api, request);
        case RequestKind::Logs:
            return logs(api, request);  // the server follows, with follow
        case RequestKind::Wait:
            break;  // the server hands waits to WaitRequest
    }
    return error_response(ErrorCode::Failed, "this request cannot be answered at once");
}

}  // namespace svinit::control
