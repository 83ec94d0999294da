// The wire codec of control/protocol.h: plain values <-> one JSON line. Pure: no I/O,
// and nothing throws out of it (nlohmann's exceptions end inside json_fields.cpp).
// Decoding checks every type and bound; docs/protocol.md is the reference.

#include "control/protocol.h"

#include <array>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "control/json_fields.h"
#include "control/status_json.h"
#include "services/log_format.h"

namespace svinit::control {
namespace {

using detail::Fields;
using detail::Json;
using detail::Problems;
using services::Command;

constexpr std::array kCommands{Command::Up,    Command::Down, Command::Once, Command::Restart,
                               Command::Pause, Command::Cont, Command::Term, Command::Kill,
                               Command::Hup,   Command::Int,  Command::Quit, Command::Usr1,
                               Command::Usr2,  Command::Alarm, Command::Exit};
constexpr std::array kErrorCodes{ErrorCode::BadRequest,     ErrorCode::UnsupportedVersion,
                                 ErrorCode::TooLarge,       ErrorCode::PermissionDenied,
                                 ErrorCode::UnknownService, ErrorCode::Failed,
                                 ErrorCode::Timeout,        ErrorCode::Busy};

// Decode failures carry an errno-style code that decode_error_code() maps back.
std::unexpected<core::Error> bad(std::string text) {
    return core::error(EINVAL, std::move(text));
}

// The value of "v" as the message shows it, bounded: a hostile value may be long.
std::string version_text(const Json& v) {
    constexpr std::size_t kMaxShown = 32;
    std::string text = detail::dump(v);
    if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
    return text;
}

// Reads "v" first, so that a future version's new shapes are refused as a version. Any
// value but the integer 1 is another version (docs/protocol.md): -1, 1.0 and "1" too.
core::Result<void> check_version(const Fields& top) {
    const Json* v = top.find("v");
    if (v == nullptr)
        return bad("\"v\": missing (the protocol version, " + std::to_string(kProtocolVersion) +
                   ")");
    if (detail::as_integer(*v, kProtocolVersion, kProtocolVersion)) return {};
    return core::error(EPROTONOSUPPORT,
                       fmt::format("unsupported protocol version {} (this svinit speaks {})",
                                   version_text(*v), kProtocolVersion));
}

std::vector<std::string> decode_services(Fields& top, Problems& problems) {
    std::vector<std::string> names;
    const Json* list = top.optional_array("services");
    if (list == nullptr) return names;
    if (list->size() > kMaxServicesPerRequest) {
        top.fail("services", "more than " + std::to_string(kMaxServicesPerRequest) + " services");
        return names;
    }
    names.reserve(list->size());
    for (std::size_t i = 0; i < list->size(); ++i) {
        const Json& item = (*list)[i];
        const std::string where = "\"services\"[" + std::to_string(i) + "]: ";
        if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
            problems.add(where + "expected a non-empty string");
            return names;
        }
        const auto& name = item.get_ref<const std::string&>();
        if (name.find('\0') != std::string::npos) {
            problems.add(where + "contains a NUL character");
            return names;
        }
        names.push_back(name);
    }
    return names;
}

core::Result<Request> decode_request_fields(Fields& top, Problems& problems) {
    Request request;
    const std::string cmd = top.string("cmd");
    request.services = decode_services(top, problems);
    if (problems.any()) return bad(*problems.first);

    if (cmd == "status") {
        request.kind = RequestKind::Status;
    } else if (cmd == "wait") {
        request.kind = RequestKind::Wait;
        const std::string target = top.string("target");
        if (target == "up") {
            request.target = services::WaitTarget::Up;
        } else if (target == "down") {
            request.target = services::WaitTarget::Down;
        } else if (!problems.any()) {
            top.fail("target", "expected \"up\" or \"down\"");
        }
        request.timeout = std::chrono::milliseconds(
            top.optional_integer("timeout_ms", 0, kMaxWaitTimeout.count()).value_or(0));
    } else if (cmd == "logs") {
        request.kind = RequestKind::Logs;
        request.lines = static_cast<std::size_t>(
            top.optional_integer("lines", 0, static_cast<std::int64_t>(kMaxLogLines))
                .value_or(10));
        request.follow = top.optional_boolean("follow").value_or(false);
        if (auto since = top.optional_integer("since_ms", 0, kMaxLogSince.count())) {
            request.since = std::chrono::milliseconds(*since);
        }
        if (!problems.any() && request.services.size() != 1) {
            return bad("\"logs\" takes exactly one service in \"services\"");
        }
    } else if (cmd == "show") {
        request.kind = RequestKind::Show;
    } else if (cmd == "shutdown" || cmd == "check" || cmd == "reload") {
        request.kind = cmd == "shutdown" ? RequestKind::Shutdown
                       : cmd == "check"  ? RequestKind::Check
                                         : RequestKind::Reload;
        if (!request.services.empty()) return bad("\"" + cmd + "\" takes no services");
    } else if (auto command = parse_command_name(cmd)) {
        request.kind = RequestKind::Command;
        request.command = *command;
    } else {
        return bad("\"cmd\": unknown command \"" + cmd + "\"");
    }
    if (problems.any()) return bad(*problems.first);
    const bool needs_services = request.kind == RequestKind::Command ||
                                request.kind == RequestKind::Wait ||
                                request.kind == RequestKind::Show;
    if (needs_services && request.services.empty()) {
        return bad("\"" + cmd + "\" needs at least one service in \"services\"");
    }
    return request;
}

// An entry's value goes as the JSON value its text is; text that is not JSON (which the
// server never makes) goes as a string.
Json encode_definition(const Definition& definition) {
    Json entries = Json::array();
    for (const SpecEntry& entry : definition.entries) {
        Json value = Json::parse(entry.value, nullptr, false);
        if (value.is_discarded()) value = entry.value;
        entries.push_back(
            Json{{"key", entry.key}, {"value", std::move(value)}, {"origin", entry.origin}});
    }
    return Json{{"source", definition.source},
                {"defined_at", definition.defined_at},
                {"entries", std::move(entries)}};
}

Definition decode_definition(const Json& value, const std::string& path, Problems& problems) {
    Definition definition;
    Fields f(value, path, problems);
    definition.source = f.string("source");
    definition.defined_at = f.string("defined_at");
    const Json* entries = f.optional_array("entries");
    if (entries == nullptr) return definition;
    definition.entries.reserve(entries->size());
    for (std::size_t i = 0; i < entries->size() && !problems.any(); ++i) {
        const std::string at = f.path_of("entries") + "[" + std::to_string(i) + "]";
        Fields e((*entries)[i], at, problems);
        SpecEntry entry;
        entry.key = e.string("key");
        const Json* v = e.find("value");
        entry.value = v ? detail::dump(*v) : "null";
        entry.origin = e.string("origin");
        definition.entries.push_back(std::move(entry));
    }
    return definition;
}

Json encode_result(const ServiceResult& result) {
    Json j{{"service", result.service}, {"ok", result.error == ErrorCode::None}};
    if (result.error != ErrorCode::None) j["error"] = to_string(result.error);
    if (!result.message.empty()) j["message"] = result.message;
    if (result.status) j["status"] = detail::encode_status(*result.status);
    if (result.definition) j["definition"] = encode_definition(*result.definition);
    return j;
}

ServiceResult decode_result(const Json& value, const std::string& path, Problems& problems) {
    ServiceResult result;
    Fields f(value, path, problems);
    result.service = f.string("service");
    (void)f.boolean("ok");  // implied by "error"; checked for its type only
    if (auto code = f.optional_string("error")) {
        // An error code newer than this client still reads as a failure.
        result.error = parse_error_code(*code).value_or(ErrorCode::Failed);
    }
    result.message = f.optional_string("message").value_or(std::string());
    if (const Json* status = f.optional_object("status")) {
        result.status = detail::decode_status(*status, f.path_of("status"), problems);
    }
    if (const Json* definition = f.optional_object("definition")) {
        result.definition = decode_definition(*definition, f.path_of("definition"), problems);
    }
    return result;
}

// {"ts":"2026-11-28T01:45:00.123456Z","stream":"stderr","msg":"text"}, with "cut" and
// "continued" when true. msg's bytes that are not UTF-8 are sent as U+FFFD.
Json encode_log_line(const services::LogLine& line) {
    Json j{{"ts", services::rfc3339(line.time)},
           {"stream", std::string(services::to_string(line.stream))},
           {"msg", line.text}};
    if (line.cut) j["cut"] = true;
    if (line.continued) j["continued"] = true;
    return j;
}

services::LogLine decode_log_line(const Json& value, const std::string& path,
                                  Problems& problems) {
    services::LogLine line;
    Fields f(value, path, problems);
    const std::string ts = f.string("ts");
    if (auto time = services::parse_rfc3339(ts)) line.time = *time;
    line.stream = f.string("stream") == "stderr" ? services::LogStream::Stderr
                                                 : services::LogStream::Stdout;
    line.text = f.string("msg");
    line.cut = f.optional_boolean("cut").value_or(false);
    line.continued = f.optional_boolean("continued").value_or(false);
    return line;
}

core::Result<Response> decode_response_fields(Fields& top, Problems& problems) {
    Response response;
    (void)top.boolean("ok");
    if (auto code = top.optional_string("error")) {
        response.error = parse_error_code(*code).value_or(ErrorCode::Failed);
    }
    response.message = top.optional_string("message").value_or(std::string());
    response.check_ok = top.optional_boolean("check_ok").value_or(false);
    if (const Json* results = top.optional_array("results")) {
        response.results.reserve(results->size());
        for (std::size_t i = 0; i < results->size() && !problems.any(); ++i) {
            response.results.push_back(
                decode_result((*results)[i], "results[" + std::to_string(i) + "]", problems));
        }
    }
    if (const Json* lines = top.optional_array("lines")) {
        response.lines.reserve(lines->size());
        for (std::size_t i = 0; i < lines->size() && !problems.any(); ++i) {
            response.lines.push_back(
                decode_log_line((*lines)[i], "lines[" + std::to_string(i) + "]", problems));
        }
    }
    if (problems.any()) return bad(*problems.first);
    return response;
}

// The framing both directions share: size limit, JSON object, version, then the fields.
template <typename T>
core::Result<T> decode_line(std::string_view line, std::size_t limit, const char* what,
                            core::Result<T> (*decode_fields)(Fields&, Problems&)) {
    if (line.size() > limit) {
        return core::error(EMSGSIZE,
                           fmt::format("{} longer than {} bytes", what, limit));
    }
    try {
        Problems problems;
        const std::optional<Json> parsed = detail::parse_object(line, problems);
        if (!parsed) return bad(*problems.first);
        Fields top(*parsed, "", problems);
        if (auto v = check_version(top); !v) return std::unexpected(v.error());
        return decode_fields(top, problems);
    } catch (const std::exception& e) {  // bad_alloc; nothing else is expected
        return bad(fmt::format("cannot decode {}: {}", what, e.what()));
    }
}

}  // namespace

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::None:
            return "none";
        case ErrorCode::BadRequest:
            return "bad_request";
        case ErrorCode::UnsupportedVersion:
            return "unsupported_version";
        case ErrorCode::TooLarge:
            return "too_large";
        case ErrorCode::PermissionDenied:
            return "permission_denied";
        case ErrorCode::UnknownService:
            return "unknown_service";
        case ErrorCode::Failed:
            return "failed";
        case ErrorCode::Timeout:
            return "timeout";
        case ErrorCode::Busy:
            return "busy";
    }
    return "failed";
}

std::optional<ErrorCode> parse_error_code(std::string_view text) {
    for (const ErrorCode code : kErrorCodes) {
        if (to_string(code) == text) return code;
    }
    return std::nullopt;
}

bool Response::ok() const {
    if (error != ErrorCode::None) return false;
    for (const ServiceResult& r : results) {
        if (r.error != ErrorCode::None) return false;
    }
    return true;
}

std::string_view command_name(Command command) {
    switch (command) {
        case Command::Up:
            return "up";
        case Command::Down:
            return "down";
        case Command::Once:
            return "once";
        case Command::Restart:
            return "restart";
        case Command::Pause:
            return "pause";
        case Command::Cont:
            return "cont";
        case Command::Term:
            return "term";
        case Command::Kill:
            return "kill";
        case Command::Hup:
            return "hup";
        case Command::Int:
            return "int";
        case Command::Quit:
            return "quit";
        case Command::Usr1:
            return "usr1";
        case Command::Usr2:
            return "usr2";
        case Command::Alarm:
            return "alarm";
        case Command::Exit:
            return "exit";
    }
    return "?";
}

std::optional<Command> parse_command_name(std::string_view name) {
    for (const Command c : kCommands) {
        if (command_name(c) == name) return c;
    }
    return std::nullopt;
}

ErrorCode decode_error_code(const core::Error& error) {
    switch (error.code) {
        case EPROTONOSUPPORT:
            return ErrorCode::UnsupportedVersion;
        case EMSGSIZE:
            return ErrorCode::TooLarge;
        default:
            return ErrorCode::BadRequest;
    }
}

std::string encode_request(const Request& request) {
    Json j{{"v", kProtocolVersion}};
    switch (request.kind) {
        case RequestKind::Status:
            j["cmd"] = "status";
            break;
        case RequestKind::Command:
            j["cmd"] = command_name(request.command);
            break;
        case RequestKind::Wait:
            j["cmd"] = "wait";
            break;
        case RequestKind::Shutdown:
            j["cmd"] = "shutdown";
            break;
        case RequestKind::Check:
            j["cmd"] = "check";
            break;
        case RequestKind::Reload:
            j["cmd"] = "reload";
            break;
        case RequestKind::Show:
            j["cmd"] = "show";
            break;
        case RequestKind::Logs:
            j["cmd"] = "logs";
            j["lines"] = static_cast<std::uint64_t>(request.lines);
            j["follow"] = request.follow;
            if (request.since) j["since_ms"] = request.since->count();
            break;
    }
    j["services"] = request.services;
    if (request.kind == RequestKind::Wait) {
        j["target"] = request.target == services::WaitTarget::Up ? "up" : "down";
        j["timeout_ms"] = static_cast<std::int64_t>(request.timeout.count());
    }
    return detail::dump(j);
}

core::Result<Request> decode_request(std::string_view line) {
    return decode_line(line, kMaxRequestBytes, "request", decode_request_fields);
}

std::string encode_response(const Response& response) {
    Json j{{"v", kProtocolVersion}, {"ok", response.ok()}};
    if (response.error != ErrorCode::None) j["error"] = to_string(response.error);
    if (!response.message.empty()) j["message"] = response.message;
    Json results = Json::array();
    for (const ServiceResult& r : response.results) results.push_back(encode_result(r));
    j["results"] = std::move(results);
    j["check_ok"] = response.check_ok;
    if (!response.lines.empty()) {
        Json lines = Json::array();
        for (const services::LogLine& line : response.lines) lines.push_back(encode_log_line(line));
        j["lines"] = std::move(lines);
    }
    return detail::dump(j);
}

core::Result<Response> decode_response(std::string_view line) {
    return decode_line(line, kMaxResponseBytes, "response", decode_response_fields);
}

}  // namespace svinit::control
