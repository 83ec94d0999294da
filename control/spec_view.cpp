#include "control/spec_view.h"

#include <string.h>
#include <sys/resource.h>

#include <cstdio>
#include <utility>

#include "config/duration.h"
#include "control/json_fields.h"

namespace svinit::control {
namespace {

using detail::Json;
using services::ServiceSpec;

// Entries of one service; a value's origin is looked up by its key unless given.
class Entries {
public:
    explicit Entries(const ServiceSpec& spec) : spec_(spec) {}

    void add(std::string key, const Json& value) {
        std::string origin = describe_origin(spec_.origins.of(key));
        add(std::move(key), value, std::move(origin));
    }
    void add(std::string key, const Json& value, std::string origin) {
        out_.push_back({std::move(key), detail::dump(value), std::move(origin)});
    }
    void duration(std::string key, services::Duration d) {
        add(std::move(key), Json(config::format_duration(d)));
    }
    std::vector<SpecEntry> take() { return std::move(out_); }

private:
    const ServiceSpec& spec_;
    std::vector<SpecEntry> out_;
};

std::string signal_text(int signal) {
    const char* abbrev = ::sigabbrev_np(signal);
    return abbrev ? abbrev : std::to_string(signal);
}

const char* rlimit_name(int resource) {
    switch (resource) {
        case RLIMIT_AS:
            return "as";
        case RLIMIT_CORE:
            return "core";
        case RLIMIT_CPU:
            return "cpu";
        case RLIMIT_DATA:
            return "data";
        case RLIMIT_FSIZE:
            return "fsize";
        case RLIMIT_LOCKS:
            return "locks";
        case RLIMIT_MEMLOCK:
            return "memlock";
        case RLIMIT_MSGQUEUE:
            return "msgqueue";
        case RLIMIT_NICE:
            return "nice";
        case RLIMIT_NOFILE:
            return "nofile";
        case RLIMIT_NPROC:
            return "nproc";
        case RLIMIT_RSS:
            return "rss";
        case RLIMIT_RTPRIO:
            return "rtprio";
        case RLIMIT_RTTIME:
            return "rttime";
        case RLIMIT_SIGPENDING:
            return "sigpending";
        case RLIMIT_STACK:
            return "stack";
        default:
            return nullptr;
    }
}

Json limit_value(std::uint64_t value) {
    if (value == services::ResourceLimit::kUnlimited) return "unlimited";
    return value;
}

void add_exec(Entries& e, const services::ExecContext& exec) {
    e.add("inherit-environment", exec.inherit_environment);
    if (exec.env_file) e.add("env-file", exec.env_file->string());
    for (const auto& [name, value] : exec.environment) e.add("environment." + name, value);
    if (!exec.user.empty()) e.add("user", exec.user);
    if (!exec.group.empty()) e.add("group", exec.group);
    if (!exec.supplementary_groups.empty()) {
        e.add("supplementary-groups", exec.supplementary_groups);
    }
    if (exec.umask) {
        char text[8];
        ::snprintf(text, sizeof text, "%04o", *exec.umask);
        e.add("umask", std::string(text));
    }
    for (const auto& limit : exec.rlimits) {
        const char* name = rlimit_name(limit.resource);
        if (!name) continue;
        const Json value = limit.soft == limit.hard ? limit_value(limit.soft)
                                                    : Json{{"soft", limit_value(limit.soft)},
                                                           {"hard", limit_value(limit.hard)}};
        e.add(std::string("rlimits.") + name, value);
    }
}

void add_restart(Entries& e, const services::RestartSpec& restart) {
    e.add("restart.policy", std::string(services::to_string(restart.policy)));
    e.duration("restart.backoff.initial", restart.backoff_initial);
    e.duration("restart.backoff.max", restart.backoff_max);
    e.add("restart.backoff.factor", restart.backoff_factor);
    e.duration("restart.healthy-after", restart.healthy_after);
    if (restart.start_limit) {
        e.add("restart.start-limit.burst", restart.start_limit->burst);
        e.duration("restart.start-limit.interval", restart.start_limit->interval);
    }
}

void add_stop(Entries& e, const services::StopSpec& stop, bool toml) {
    e.add("stop.signal", signal_text(stop.signal));
    e.duration("stop.timeout", stop.timeout);
    if (!toml) return;  // a runit service's kill mode and command are not settings
    e.add("stop.kill", std::string(services::to_string(stop.kill)));
    if (!stop.command.empty()) e.add("stop.command", stop.command);
}

void add_check(Entries& e, const std::string& prefix, const services::ExecCheck* exec,
               const services::TcpCheck* tcp) {
    if (exec) e.add(prefix + "command", exec->command);
    if (tcp) {
        e.add(prefix + "host", tcp->host);
        e.add(prefix + "port", tcp->port);
    }
}

void add_readiness(Entries& e, const ServiceSpec& spec) {
    const services::ReadinessSpec& readiness = spec.readiness;
    const std::string type(services::readiness_type(readiness.method));
    // type = "notify" chooses it when [readiness] does not.
    const bool by_type = spec.type == services::ServiceType::Notify &&
                         spec.origins.values.find("readiness.type") == spec.origins.values.end();
    if (by_type) {
        e.add("readiness.type", type, describe_origin(spec.origins.of("type")));
    } else {
        e.add("readiness.type", type);
    }
    if (!readiness.configured()) return;
    e.duration("readiness.timeout", readiness.timeout);
    if (const auto* fd = std::get_if<services::FdReadiness>(&readiness.method)) {
        e.add("readiness.fd", fd->fd);
    }
    const auto* exec = std::get_if<services::ExecCheck>(&readiness.method);
    const auto* tcp = std::get_if<services::TcpCheck>(&readiness.method);
    if (!exec && !tcp) return;
    add_check(e, "readiness.", exec, tcp);
    e.duration("readiness.interval", readiness.interval);
    e.duration("readiness.check-timeout", readiness.check_timeout);
    e.add("readiness.retries", readiness.retries);
}

void add_health(Entries& e, const services::HealthSpec& health) {
    const auto* exec = std::get_if<services::ExecCheck>(&health.check);
    const auto* tcp = std::get_if<services::TcpCheck>(&health.check);
    e.add("health.type", exec ? "exec" : "tcp");
    add_check(e, "health.", exec, tcp);
    e.duration("health.interval", health.interval);
    e.duration("health.timeout", health.timeout);
    e.add("health.failures", health.failures);
}

void add_dependencies(Entries& e, const services::Dependencies& deps) {
    e.add("requires", deps.required);
    e.add("wants", deps.wanted);
    e.add("after", deps.after);
    e.add("before", deps.before);
}

void add_toml(Entries& e, const ServiceSpec& spec) {
    e.add("command", spec.main.command);
    e.add("type", std::string(services::to_string(spec.type)));
    e.add("down", spec.main.normally_down);
    e.add("essential", spec.essential);
    if (!spec.main.dir.empty()) e.add("working-directory", spec.main.dir.string());
    add_exec(e, spec.main.exec);
    add_dependencies(e, spec.deps);
    add_restart(e, spec.restart);
    add_stop(e, spec.stop, true);
    add_readiness(e, spec);
    if (spec.health) add_health(e, *spec.health);
    if (spec.output) e.add("log.mode", std::string(services::to_string(*spec.output)));
    if (spec.sandbox) e.add("sandbox", true, describe_origin(spec.origins.defined_at));
}

// A runit directory's files are their own origin.
void add_runit(Entries& e, const ServiceSpec& spec) {
    const std::string dir = spec.main.dir.string();
    e.add("run", spec.main.run.string(), spec.main.run.string());
    if (spec.main.finish) e.add("finish", spec.main.finish->string(), spec.main.finish->string());
    e.add("down", spec.main.normally_down,
          spec.main.normally_down ? (spec.main.dir / "down").string() : "default");
    for (const auto& [letter, path] : spec.main.control) {
        e.add(std::string("control.") + letter, path.string(), path.string());
    }
    if (spec.log) e.add("log.run", spec.log->run.string(), spec.log->run.string());
    add_restart(e, spec.restart);
    add_stop(e, spec.stop, false);
    e.duration("finish-timeout", spec.finish_timeout);
}

}  // namespace

std::string describe_origin(const services::Origin& origin) {
    if (origin.in_defaults) return "[defaults] " + origin.describe();
    return origin.describe();
}

Definition describe_spec(const ServiceSpec& spec) {
    Definition definition;
    const bool toml = spec.source == services::SourceKind::Toml;
    definition.source = toml ? "toml" : "runit";
    definition.defined_at = describe_origin(spec.origins.defined_at);
    Entries entries(spec);
    if (toml) {
        add_toml(entries, spec);
    } else {
        add_runit(entries, spec);
    }
    definition.entries = entries.take();
    return definition;
}

}  // namespace svinit::control
