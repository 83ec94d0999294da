#include "services/service_spec.h"

#include <fmt/format.h>

#include <type_traits>

namespace svinit::services {

std::string Origin::describe() const {
    if (where.empty()) return "default";
    if (line <= 0) return where;
    if (column <= 0) return fmt::format("{}:{}", where, line);
    return fmt::format("{}:{}:{}", where, line, column);
}

Origin SpecOrigins::of(std::string_view key) const {
    if (auto found = values.find(key); found != values.end()) return found->second;
    return Origin{};
}

std::string_view to_string(SourceKind kind) noexcept {
    switch (kind) {
        case SourceKind::RunitDir:
            return "runit directory";
        case SourceKind::Toml:
            return "toml";
    }
    return "?";
}

std::string_view to_string(ServiceType type) noexcept {
    switch (type) {
        case ServiceType::Simple:
            return "simple";
        case ServiceType::Oneshot:
            return "oneshot";
        case ServiceType::Notify:
            return "notify";
    }
    return "?";
}

std::string_view to_string(RestartPolicy policy) noexcept {
    switch (policy) {
        case RestartPolicy::Always:
            return "always";
        case RestartPolicy::OnFailure:
            return "on-failure";
        case RestartPolicy::Never:
            return "never";
    }
    return "?";
}

std::string_view to_string(KillMode mode) noexcept {
    switch (mode) {
        case KillMode::Group:
            return "group";
        case KillMode::Process:
            return "process";
    }
    return "?";
}

std::string_view readiness_type(const ReadinessMethod& method) noexcept {
    return std::visit(
        [](const auto& m) -> std::string_view {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, NotifyReadiness>) return "notify";
            if constexpr (std::is_same_v<M, FdReadiness>) return "fd";
            if constexpr (std::is_same_v<M, ExecCheck>) return "exec";
            if constexpr (std::is_same_v<M, TcpCheck>) return "tcp";
            return "none";
        },
        method);
}

std::string Diagnostic::describe() const {
    if (line > 0 && column > 0) {
        return fmt::format("{}:{}:{}: {}", file.string(), line, column, message);
    }
    if (line > 0) return fmt::format("{}:{}: {}", file.string(), line, message);
    return fmt::format("{}: {}", file.string(), message);
}

}  // namespace svinit::services
