#include "svctl/format.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace svinit::svctl {
namespace {

using services::State;
using services::Want;

// What runit's status file would hold for our state: its state word, and whether TERM
// has been sent. Stopping is runit's "run, want down, got TERM"; backoff and failed are
// "down, want up" (runsv sleeping before a restart looks the same).
std::string_view runit_word(State state) {
    switch (state) {
        case State::Down:
        case State::Backoff:
        case State::Failed:
            return "down";
        case State::Starting:
        case State::Run:
        case State::Stopping:
            return "run";
        case State::Finish:
            return "finish";
    }
    return "down";
}

std::string_view want_word(Want want) {
    return services::to_string(want);
}

nlohmann::json exit_json(const std::optional<core::ExitStatus>& exit) {
    if (!exit) return nullptr;
    nlohmann::json j;
    switch (exit->kind) {
        case core::ExitStatus::Kind::Exited:
            j["kind"] = "exited";
            j["code"] = exit->value;
            break;
        case core::ExitStatus::Kind::Signaled:
            j["kind"] = "signaled";
            j["signal"] = exit->value;
            j["core_dumped"] = exit->core_dumped;
            break;
    }
    j["description"] = exit->describe();
    return j;
}

void add_process_fields(nlohmann::json& j, const services::ProcessStatus& p, WallTime now) {
    j["state"] = services::to_string(p.state);
    j["pid"] = p.pid;
    j["since_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(p.since.time_since_epoch()).count();
    j["seconds"] = seconds_since(p.since, now);
    j["want"] = want_word(p.want);
    j["normally_down"] = p.normally_down;
    j["paused"] = p.paused;
    j["got_term"] = p.got_term;
    j["last_exit"] = exit_json(p.last_exit);
    j["restarts"] = p.restarts;
    j["reason"] = p.reason;
    j["usage"] = p.usage;
}

std::string display_name(std::span<const std::string> display_names, std::size_t i,
                         const std::string& fallback) {
    return i < display_names.size() ? display_names[i] : fallback;
}

// Names come from the command line and need not be UTF-8: replace, never throw.
std::string dump(const nlohmann::json& doc) {
    return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::int64_t seconds_since(WallTime since, WallTime now) {
    if (since >= now) return 0;
    return std::chrono::duration_cast<std::chrono::seconds>(now - since).count();
}

std::string format_process(std::string_view name, const services::ProcessStatus& p, WallTime now,
                           Dialect dialect) {
    bool runit = dialect == Dialect::Runit;
    std::string_view word = runit ? runit_word(p.state) : services::to_string(p.state);
    bool got_term = p.got_term || (runit && p.state == State::Stopping);
    // runit's once is want down: run this time, never restart.
    Want want = (runit && p.want == Want::Once) ? Want::Down : p.want;

    std::string line = fmt::format("{}: {}: ", word, name);
    // Like sv.c, the flags depend on whether a process exists (pid != 0), not on the word.
    bool active = p.pid != 0;
    if (active) line += fmt::format("(pid {}) ", p.pid);
    line += fmt::format("{}s", seconds_since(p.since, now));
    // Waiting for a dependency: no process yet, and the flags would only say "want up".
    if (!runit && p.state == State::Starting && !active && !p.reason.empty()) {
        return line + ", " + p.reason;
    }
    if (active && p.normally_down) line += ", normally down";
    if (!active && !p.normally_down) line += ", normally up";
    if (active && p.paused) line += ", paused";
    if (!active && want != Want::Down) line += fmt::format(", want {}", want_word(want));
    if (active && want != Want::Up) line += fmt::format(", want {}", want_word(want));
    if (active && got_term) line += ", got TERM";
    if (!runit && active && !p.usage.empty()) line += "; " + p.usage;  // a sandbox's cgroup
    if (!runit && (p.state == State::Backoff || p.state == State::Failed) && !p.reason.empty()) {
        line += "; ";
        line += p.reason;
    }
    if (!runit && p.state == State::Starting && !p.reason.empty()) {  // "waiting for db"
        line += ", ";
        line += p.reason;
    }
    return line;
}

namespace {

// "; health: healthy", "; health: unhealthy (2 in a row: exited with status 1)"
std::string format_health(const services::HealthStatus& health) {
    std::string text = fmt::format("; health: {}", services::to_string(health.state));
    if (health.state == services::Health::Unhealthy) {
        text += fmt::format(" ({} in a row: {})", health.failures, health.last);
    }
    return text;
}

}  // namespace

std::string format_status_line(std::string_view name, const services::ServiceStatus& status,
                               WallTime now, Dialect dialect) {
    std::string line = format_process(name, status.main, now, dialect);
    if (status.log) {
        line += "; ";
        line += format_process("log", *status.log, now, dialect);
    }
    if (status.dropped_lines && *status.dropped_lines > 0 && dialect != Dialect::Runit) {
        line += fmt::format("; {} output lines dropped", *status.dropped_lines);
    }
    if (status.health && dialect != Dialect::Runit) line += format_health(*status.health);
    return line;
}

std::string status_json(std::span<const control::ServiceResult> results,
                        std::span<const std::string> display_names, WallTime now) {
    auto list = nlohmann::json::array();
    for (std::size_t i = 0; i < results.size(); ++i) {
        const auto& result = results[i];
        nlohmann::json j;
        j["service"] = display_name(
            display_names, i,
            result.service.empty() && result.status ? result.status->name : result.service);
        if (result.error != control::ErrorCode::None || !result.status) {
            j["error"] = control::to_string(result.error == control::ErrorCode::None
                                                ? control::ErrorCode::Failed
                                                : result.error);
            j["message"] = result.message;
            list.push_back(std::move(j));
            continue;
        }
        const auto& status = *result.status;
        j["name"] = status.name;
        j["dir"] = status.dir;
        add_process_fields(j, status.main, now);
        if (status.log) {
            nlohmann::json log;
            add_process_fields(log, *status.log, now);
            j["log"] = std::move(log);
        } else {
            j["log"] = nullptr;
        }
        if (status.dropped_lines) j["dropped_lines"] = *status.dropped_lines;
        if (status.health) {
            j["health"] = {{"state", services::to_string(status.health->state)},
                           {"failures", status.health->failures},
                           {"last", status.health->last}};
        } else {
            j["health"] = nullptr;
        }
        list.push_back(std::move(j));
    }
    nlohmann::json doc;
    doc["services"] = std::move(list);
    return dump(doc);
}

std::string response_json(const control::Response& response, control::RequestKind kind,
                          std::span<const std::string> display_names) {
    nlohmann::json doc;
    doc["ok"] = response.ok();
    doc["error"] = control::to_string(response.error);
    doc["message"] = response.message;
    auto list = nlohmann::json::array();
    for (std::size_t i = 0; i < response.results.size(); ++i) {
        const auto& result = response.results[i];
        nlohmann::json j;
        j["service"] = display_name(display_names, i, result.service);
        j["error"] = control::to_string(result.error);
        j["message"] = result.message;
        list.push_back(std::move(j));
    }
    doc["results"] = std::move(list);
    if (kind == control::RequestKind::Check) doc["check_ok"] = response.check_ok;
    return dump(doc);
}

}  // namespace svinit::svctl
