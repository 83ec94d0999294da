#include "control/status_json.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace svinit::control::detail {
namespace {

using services::ProcessStatus;
using services::ServiceStatus;
using services::State;
using services::Want;

constexpr std::array kStates{State::Down,   State::Starting, State::Run,   State::Stopping,
                             State::Finish, State::Backoff,  State::Failed};
constexpr std::array kWants{Want::Up, Want::Down, Want::Once};
constexpr std::array kHealths{services::Health::Starting, services::Health::Healthy,
                              services::Health::Unhealthy};

template <typename Enum, std::size_t N>
std::optional<Enum> parse_enum(std::string_view text, const std::array<Enum, N>& all) {
    for (const Enum e : all) {
        if (services::to_string(e) == text) return e;
    }
    return std::nullopt;
}

constexpr std::int64_t kIntMin = std::numeric_limits<int>::min();
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
// system_clock counts nanoseconds in 64 bits (about +-292 years): a since_ms beyond that
// would overflow on the way in.
constexpr std::int64_t kMaxSinceMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::duration::max())
                                         .count();

Json encode_exit(const core::ExitStatus& exit) {
    const bool exited = exit.kind == core::ExitStatus::Kind::Exited;
    return Json{{"kind", exited ? "exited" : "signaled"},
                {"value", exit.value},
                {"core_dumped", exit.core_dumped}};
}

std::optional<core::ExitStatus> decode_exit(const Json& value, const std::string& path,
                                            Problems& problems) {
    Fields f(value, path, problems);
    const std::string kind = f.string("kind");
    const auto code = static_cast<int>(f.integer("value", kIntMin, kIntMax));
    const bool core_dumped = f.boolean("core_dumped");
    if (problems.any()) return std::nullopt;
    if (kind == "exited")
        return core::ExitStatus{core::ExitStatus::Kind::Exited, code, core_dumped};
    if (kind == "signaled") {
        return core::ExitStatus{core::ExitStatus::Kind::Signaled, code, core_dumped};
    }
    f.fail("kind", "expected \"exited\" or \"signaled\"");
    return std::nullopt;
}

Json encode_process(const ProcessStatus& p) {
    const auto since_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(p.since.time_since_epoch()).count();
    return Json{
        {"state", services::to_string(p.state)},
        {"pid", p.pid},
        {"since_ms", static_cast<std::int64_t>(since_ms)},
        {"want", services::to_string(p.want)},
        {"normally_down", p.normally_down},
        {"paused", p.paused},
        {"got_term", p.got_term},
        {"last_exit", p.last_exit ? encode_exit(*p.last_exit) : Json(nullptr)},
        {"restarts", p.restarts},
        {"reason", p.reason},
        {"usage", p.usage},
    };
}

ProcessStatus decode_process(Fields& f, Problems& problems) {
    ProcessStatus p;
    const std::string state = f.string("state");
    if (auto s = parse_enum(state, kStates)) {
        p.state = *s;
    } else if (!problems.any()) {
        f.fail("state", "unknown state \"" + state + "\"");
    }
    p.pid = static_cast<pid_t>(f.integer("pid", 0, kIntMax));
    const std::int64_t since_ms = f.integer("since_ms", -kMaxSinceMs, kMaxSinceMs);
    p.since = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::milliseconds(since_ms)));
    const std::string want = f.string("want");
    if (auto w = parse_enum(want, kWants)) {
        p.want = *w;
    } else if (!problems.any()) {
        f.fail("want", "unknown want \"" + want + "\"");
    }
    p.normally_down = f.boolean("normally_down");
    p.paused = f.boolean("paused");
    p.got_term = f.boolean("got_term");
    if (const Json* exit = f.optional_object("last_exit")) {
        p.last_exit = decode_exit(*exit, f.path_of("last_exit"), problems);
    }
    p.restarts = static_cast<std::uint32_t>(
        f.integer("restarts", 0, std::numeric_limits<std::uint32_t>::max()));
    p.reason = f.optional_string("reason").value_or(std::string());
    p.usage = f.optional_string("usage").value_or(std::string());
    return p;
}

}  // namespace

Json encode_status(const ServiceStatus& status) {
    Json j{{"name", status.name}, {"dir", status.dir}};
    j.update(encode_process(status.main));
    j["log"] = status.log ? encode_process(*status.log) : Json(nullptr);
    if (status.dropped_lines) j["dropped_lines"] = *status.dropped_lines;
    if (status.health) {
        j["health"] = Json{{"state", services::to_string(status.health->state)},
                           {"failures", status.health->failures},
                           {"last", status.health->last}};
    }
    return j;
}

ServiceStatus decode_status(const Json& value, const std::string& path, Problems& problems) {
    ServiceStatus status;
    Fields f(value, path, problems);
    status.name = f.string("name");
    status.dir = f.optional_string("dir").value_or(std::string());
    status.main = decode_process(f, problems);
    if (const Json* log = f.optional_object("log")) {
        Fields lf(*log, f.path_of("log"), problems);
        status.log = decode_process(lf, problems);
    }
    if (auto dropped = f.optional_integer("dropped_lines", 0,
                                          std::numeric_limits<std::int64_t>::max())) {
        status.dropped_lines = static_cast<std::uint64_t>(*dropped);
    }
    if (const Json* health = f.optional_object("health")) {
        Fields hf(*health, f.path_of("health"), problems);
        services::HealthStatus h;
        const std::string state = hf.string("state");
        if (auto parsed = parse_enum(state, kHealths)) {
            h.state = *parsed;
        } else if (!problems.any()) {
            hf.fail("state", "unknown health \"" + state + "\"");
        }
        h.failures = static_cast<unsigned>(
            hf.integer("failures", 0, std::numeric_limits<std::uint32_t>::max()));
        h.last = hf.optional_string("last").value_or(std::string());
        status.health = std::move(h);
    }
    return status;
}

}  // namespace svinit::control::detail
