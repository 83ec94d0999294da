// A TOML service's [restart], [stop], [readiness] and [health] tables.

#include <fmt/format.h>
#include <signal.h>

#include <array>
#include <initializer_list>
#include <string>
#include <utility>

#include "config/duration.h"
#include "config/toml_service.h"
#include "core/signal_name.h"
#include "core/tcp_connect.h"

namespace svinit::config {

namespace {

using namespace std::chrono_literals;
using services::Duration;

constexpr std::array<std::pair<std::string_view, services::RestartPolicy>, 3> kPolicies{{
    {"always", services::RestartPolicy::Always},
    {"on-failure", services::RestartPolicy::OnFailure},
    {"never", services::RestartPolicy::Never},
}};

constexpr std::array<std::pair<std::string_view, services::KillMode>, 2> kKillModes{{
    {"group", services::KillMode::Group},
    {"process", services::KillMode::Process},
}};

enum class CheckType { Notify, Fd, Exec, Tcp };

constexpr std::array<std::pair<std::string_view, CheckType>, 4> kReadinessTypes{{
    {"notify", CheckType::Notify},
    {"fd", CheckType::Fd},
    {"exec", CheckType::Exec},
    {"tcp", CheckType::Tcp},
}};

constexpr std::array<std::pair<std::string_view, CheckType>, 2> kHealthTypes{{
    {"exec", CheckType::Exec},
    {"tcp", CheckType::Tcp},
}};

constexpr std::string_view type_name(CheckType type) {
    switch (type) {
        case CheckType::Notify:
            return "notify";
        case CheckType::Fd:
            return "fd";
        case CheckType::Exec:
            return "exec";
        case CheckType::Tcp:
            return "tcp";
    }
    return "?";
}

// Reports each key present that belongs to other types than `type`.
void check_applies(
    TableReader& reader, CheckType type,
    std::initializer_list<std::pair<std::string_view, std::initializer_list<CheckType>>> rules) {
    for (const auto& [key, types] : rules) {
        const toml::node* node = reader.node(key);
        if (!node) continue;
        bool applies = false;
        std::string names;
        for (CheckType t : types) {
            applies = applies || t == type;
            names += fmt::format("{}type = \"{}\"", names.empty() ? "" : " or ", type_name(t));
        }
        if (!applies) {
            reader.error(*node, key, fmt::format("applies only with {}", names));
            reader.forget_origin(key);
        }
    }
}

// The command (exec) or host and port (tcp) of a check.
std::optional<std::variant<services::ExecCheck, services::TcpCheck>> read_check(TableReader& reader,
                                                                                CheckType type) {
    if (type == CheckType::Exec) {
        auto command = read_argv(reader, "command");
        if (!command) {
            if (!reader.has("command")) {
                reader.error_here("type = \"exec\" needs command = [\"/usr/bin/check\", ...]");
            }
            return std::nullopt;
        }
        return services::ExecCheck{std::move(*command)};
    }
    if (type == CheckType::Tcp) {
        auto host = reader.string("host", 253);
        auto port = reader.integer("port", 1, 65535);
        if (!port) {
            if (!reader.has("port")) reader.error_here("type = \"tcp\" needs port = NUMBER");
            return std::nullopt;
        }
        services::TcpCheck check;
        if (host) {
            if (host->empty()) {
                reader.error(*reader.node("host"), "host", "must not be empty");
                return std::nullopt;
            }
            // A name would need a DNS lookup, which could block svinit's loop.
            if (!core::tcp_address(*host, static_cast<std::uint16_t>(*port))) {
                reader.error(*reader.node("host"), "host",
                             "expected an IP address or localhost, got \"" + *host + "\"");
                return std::nullopt;
            }
            check.host = std::move(*host);
        }
        check.port = static_cast<std::uint16_t>(*port);
        return check;
    }
    return std::nullopt;
}

std::optional<int> read_signal(TableReader& reader, std::string_view key) {
    const toml::node* node = reader.node(key);
    if (!node) return std::nullopt;
    std::string text;
    if (const auto* i = node->as_integer()) {
        text = std::to_string(i->get());
    } else if (auto s = reader.string(key, 32)) {
        text = *s;
    } else {
        if (node->is_string()) return std::nullopt;  // reported by string()
        reader.error(
            *node, key,
            fmt::format("expected a signal name or number, got {}", describe_value(*node)));
        return std::nullopt;
    }
    auto sig = core::parse_signal(text);
    if (!sig) {
        // parse_signal refuses KILL (it cannot start a shutdown); as a stop signal it is fine.
        std::string upper;
        for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (upper == "KILL" || upper == "SIGKILL" || text == std::to_string(SIGKILL)) {
            sig = SIGKILL;
        } else {
            reader.error(*node, key,
                         fmt::format("expected a signal name or number such as \"TERM\", "
                                     "\"SIGINT\" or 15, got {}",
                                     describe_value(*node)));
            reader.forget_origin(key);
            return std::nullopt;
        }
    }
    reader.record_origin(key, *node);
    return *sig;
}

}  // namespace

void read_restart(TableReader& reader, services::RestartSpec& restart) {
    if (auto policy = reader.choice<services::RestartPolicy>("policy", kPolicies)) {
        restart.policy = *policy;
    }
    if (auto backoff = reader.table("backoff")) {
        if (auto initial = backoff->duration("initial", 1ms, 1h))
            restart.backoff_initial = *initial;
        if (auto max = backoff->duration("max", 1ms, 24h)) restart.backoff_max = *max;
        if (auto factor = backoff->number("factor", 1.0, 100.0)) restart.backoff_factor = *factor;
        if (restart.backoff_max < restart.backoff_initial) {
            const std::string_view key = backoff->has("max") ? "max" : "initial";
            const toml::node* at = backoff->node(key);
            backoff->error(at ? *at : backoff->table(), key,
                           fmt::format("max ({}) must not be less than initial ({})",
                                       format_duration(restart.backoff_max),
                                       format_duration(restart.backoff_initial)));
        }
        backoff->finish();
    }
    if (auto healthy = reader.duration("healthy-after", 0ms, 24h)) restart.healthy_after = *healthy;
    if (auto limit = reader.table("start-limit")) {
        services::StartLimit out = restart.start_limit.value_or(services::StartLimit{});
        auto burst = limit->integer("burst", 0, 1'000'000);
        if (burst) out.burst = static_cast<unsigned>(*burst);
        if (auto interval = limit->duration("interval", 1ms, 24h)) out.interval = *interval;
        limit->finish();
        if (burst && *burst == 0) {
            restart.start_limit.reset();  // burst = 0: no limit
        } else {
            restart.start_limit = out;
        }
    }
    reader.finish();
}

void read_stop(TableReader& reader, services::StopSpec& stop, bool allow_command) {
    if (auto sig = read_signal(reader, "signal")) stop.signal = *sig;
    if (auto timeout = reader.duration("timeout", 0ms, 24h)) stop.timeout = *timeout;
    if (auto kill = reader.choice<services::KillMode>("kill", kKillModes)) stop.kill = *kill;
    if (allow_command) {
        if (auto command = read_argv(reader, "command")) stop.command = std::move(*command);
    }
    reader.finish();
}

void read_readiness(TableReader& reader, services::ServiceType service_type,
                    services::ReadinessSpec& readiness) {
    std::optional<CheckType> type = reader.choice<CheckType>("type", kReadinessTypes);
    if (service_type == services::ServiceType::Notify) {
        if (type && *type != CheckType::Notify) {
            reader.error(*reader.node("type"), "type",
                         "the service's type = \"notify\" already means readiness by notify; "
                         "remove one of them");
            type.reset();
        } else if (!reader.has("type")) {
            type = CheckType::Notify;
        }
    } else if (!reader.has("type")) {
        reader.error_here("missing key \"type\": one of notify, fd, exec, tcp");
    }
    if (auto timeout = reader.duration("timeout", 1ms, 24h)) readiness.timeout = *timeout;
    auto fd = reader.integer("fd", 3, 1023);
    auto interval = reader.duration("interval", 10ms, 1h);
    auto check_timeout = reader.duration("check-timeout", 10ms, 1h);
    auto retries = reader.integer("retries", 0, 1'000'000);
    if (type) {
        check_applies(reader, *type,
                      {{"fd", {CheckType::Fd}},
                       {"command", {CheckType::Exec}},
                       {"host", {CheckType::Tcp}},
                       {"port", {CheckType::Tcp}},
                       {"interval", {CheckType::Exec, CheckType::Tcp}},
                       {"check-timeout", {CheckType::Exec, CheckType::Tcp}},
                       {"retries", {CheckType::Exec, CheckType::Tcp}}});
        switch (*type) {
            case CheckType::Notify:
                readiness.method = services::NotifyReadiness{};
                break;
            case CheckType::Fd:
                readiness.method = services::FdReadiness{fd ? static_cast<int>(*fd) : 3};
                break;
            case CheckType::Exec:
            case CheckType::Tcp:
                if (auto check = read_check(reader, *type)) {
                    std::visit([&readiness](auto& c) { readiness.method = std::move(c); }, *check);
                }
                break;
        }
    } else {
        // Still learn the keys, so they are not reported unknown as well.
        for (std::string_view key : {"command", "host", "port"}) (void)reader.node(key);
    }
    if (interval) readiness.interval = *interval;
    if (check_timeout) readiness.check_timeout = *check_timeout;
    if (retries) readiness.retries = static_cast<unsigned>(*retries);
    reader.finish();
}

std::optional<services::HealthSpec> read_health(TableReader& reader) {
    services::HealthSpec health;
    auto type = reader.choice<CheckType>("type", kHealthTypes);
    if (!type && !reader.has("type")) reader.error_here("missing key \"type\": exec or tcp");
    if (auto interval = reader.duration("interval", 100ms, 24h)) health.interval = *interval;
    if (auto timeout = reader.duration("timeout", 10ms, 1h)) health.timeout = *timeout;
    if (auto failures = reader.integer("failures", 1, 1000)) {
        health.failures = static_cast<unsigned>(*failures);
    }
    std::optional<std::variant<services::ExecCheck, services::TcpCheck>> check;
    if (type) {
        check_applies(reader, *type,
                      {{"command", {CheckType::Exec}},
                       {"host", {CheckType::Tcp}},
                       {"port", {CheckType::Tcp}}});
        check = read_check(reader, *type);
    } else {
        // Still learn the keys, so they are not reported unknown as well.
        for (std::string_view key : {"command", "host", "port"}) (void)reader.node(key);
    }
    reader.finish();
    if (!check) return std::nullopt;
    health.check = std::move(*check);
    return health;
}

}  // namespace svinit::config
