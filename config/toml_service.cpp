#include "config/toml_service.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <utility>

#include "config/env_file.h"
#include "config/small_file.h"
#include "config/toml_document.h"
#include "config/toml_sandbox.h"

namespace svinit::config {

namespace {

namespace fs = std::filesystem;
using services::ServiceSpec;
using services::ServiceType;

constexpr std::array<std::pair<std::string_view, ServiceType>, 3> kTypes{{
    {"simple", ServiceType::Simple},
    {"oneshot", ServiceType::Oneshot},
    {"notify", ServiceType::Notify},
}};

// [log] mode: where run's output goes (docs/logging.md); absent follows --service-output.
constexpr std::array<std::pair<std::string_view, services::OutputMode>, 4> kOutputModes{{
    {"inherit", services::OutputMode::Inherit},
    {"prefix", services::OutputMode::Prefix},
    {"json", services::OutputMode::Json},
    {"file", services::OutputMode::File},
}};

struct LimitName {
    std::string_view name;
    int resource;
};
constexpr std::array<LimitName, 16> kLimits{{
    {"as", RLIMIT_AS},
    {"core", RLIMIT_CORE},
    {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},
    {"fsize", RLIMIT_FSIZE},
    {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK},
    {"msgqueue", RLIMIT_MSGQUEUE},
    {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC},
    {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},
    {"rttime", RLIMIT_RTTIME},
    {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
}};

// A path as written, made absolute against the declaring file's directory.
fs::path resolve(const fs::path& base_dir, const std::string& text) {
    fs::path path(text);
    if (path.is_relative()) path = base_dir / path;
    return path.lexically_normal();
}

// A limit's value: an integer, or "unlimited" / "infinity".
std::optional<std::uint64_t> limit_value(const toml::node& node, const std::string& what,
                                         const ReadScope& scope) {
    if (const auto* i = node.as_integer(); i && i->get() >= 0) {
        return static_cast<std::uint64_t>(i->get());
    }
    if (const auto* s = node.as_string();
        s && (s->get() == "unlimited" || s->get() == "infinity")) {
        return services::ResourceLimit::kUnlimited;
    }
    scope.diags->add(scope.file, line_of(node.source()), column_of(node.source()),
                     fmt::format("{}: expected a non-negative integer or \"unlimited\", got {}",
                                 what, describe_value(node)));
    return std::nullopt;
}

void read_rlimits(TableReader& service, services::ExecContext& exec) {
    auto table = service.table("rlimits");
    if (!table) return;
    std::vector<std::string_view> names;
    for (const LimitName& limit : kLimits) names.push_back(limit.name);
    for (const LimitName& limit : kLimits) {
        const toml::node* node = table->node(limit.name);
        if (!node) continue;
        const std::string what = table->path_of(limit.name);
        services::ResourceLimit out{limit.resource, 0, 0};
        if (auto both = node->as_table()) {
            TableReader pair(*both, what, "", table->scope());
            const toml::node* soft = pair.node("soft");
            const toml::node* hard = pair.node("hard");
            pair.finish();
            if (!soft || !hard) {
                table->error(*node, limit.name, "needs both soft and hard");
                continue;
            }
            auto soft_value = limit_value(*soft, what + ".soft", table->scope());
            auto hard_value = limit_value(*hard, what + ".hard", table->scope());
            if (!soft_value || !hard_value) continue;
            if (*soft_value > *hard_value) {
                table->error(*soft, limit.name, "soft must not be more than hard");
                continue;
            }
            out.soft = *soft_value;
            out.hard = *hard_value;
        } else {
            auto value = limit_value(*node, what, table->scope());
            if (!value) continue;
            out.soft = out.hard = *value;
        }
        table->record_origin(limit.name, *node);
        exec.rlimits.push_back(out);
    }
    std::ranges::sort(exec.rlimits, {}, &services::ResourceLimit::resource);
    table->finish();
}

std::optional<std::uint32_t> read_umask(TableReader& service) {
    const toml::node* node = service.node("umask");
    if (!node) return std::nullopt;
    std::optional<std::uint32_t> mask;
    if (const auto* i = node->as_integer(); i && i->get() >= 0 && i->get() <= 0777) {
        mask = static_cast<std::uint32_t>(i->get());
    } else if (const auto* s = node->as_string();
               s && !s->get().empty() && s->get().size() <= 4 &&
               s->get().find_first_not_of("01234567") == std::string::npos) {
        mask = static_cast<std::uint32_t>(std::stoul(s->get(), nullptr, 8));
        if (*mask > 0777) mask.reset();
    }
    if (!mask) {
        service.error(*node, "umask",
                      fmt::format("expected an octal mode from \"0000\" to \"0777\" (or 0o022), "
                                  "got {}",
                                  describe_value(*node)));
        return std::nullopt;
    }
    service.record_origin("umask", *node);
    return mask;
}

void read_environment(TableReader& service, const ServiceContext& context,
                      services::ExecContext& exec) {
    if (auto inherit = service.boolean("inherit-environment")) exec.inherit_environment = *inherit;

    // The file first: the table's values win over it.
    if (auto file = service.string("env-file")) {
        const fs::path path = resolve(context.base_dir, *file);
        exec.env_file = path;
        auto text = context.budget ? context.budget->read(path, kMaxEnvFileBytes)
                                   : read_small_file(path, kMaxEnvFileBytes);
        if (!text) {
            service.error(*service.node("env-file"), "env-file",
                          fmt::format("{}: {}", path.string(), text.error().message()));
        } else {
            for (auto& var : parse_env_file(*text, path, *service.scope().diags)) {
                if (service.scope().origins) {
                    (*service.scope().origins)["environment." + var.name] =
                        services::Origin{path.string(), var.line, 0};
                }
                exec.environment[var.name] = std::move(var.value);
            }
        }
    }

    auto table = service.table("environment");
    if (!table) return;
    if (table->table().size() > kMaxEnvironment) {
        table->error_here(fmt::format("more than {} variables", kMaxEnvironment));
        return;
    }
    for (const auto& [key, value] : table->table()) {
        const std::string name(key.str());
        table->node(name);
        if (!is_env_name(name)) {
            table->error_at(key.source(), name.substr(0, 60),
                            "not a variable name (letters, digits and _, not starting with a "
                            "digit)");
            continue;
        }
        if (!value.is_string()) {
            std::string hint;
            if (value.is_integer() || value.is_boolean() || value.is_floating_point()) {
                const std::string shown = describe_value(value);  // "integer 8080"
                hint = fmt::format(" (quote it: {} = \"{}\")", name,
                                   shown.substr(shown.find(' ') + 1));
            }
            table->error(value, name,
                         fmt::format("expected a string, got {}{}", describe_value(value), hint));
            continue;
        }
        if (auto text = table->string(name, kMaxStringBytes)) {
            exec.environment[name] = std::move(*text);
        }
    }
    if (exec.environment.size() > kMaxEnvironment) {
        table->error_here(fmt::format("more than {} variables with env-file's", kMaxEnvironment));
    }
}

void read_exec_context(TableReader& service, const ServiceContext& context,
                       services::ProcessSpec& main) {
    read_environment(service, context, main.exec);
    main.dir = "/";
    if (auto dir = service.string("working-directory")) main.dir = resolve(context.base_dir, *dir);
    if (auto user = service.name_or_id("user")) main.exec.user = std::move(*user);
    if (auto group = service.name_or_id("group")) main.exec.group = std::move(*group);
    if (const toml::node* groups = service.node("supplementary-groups")) {
        const auto* array = groups->as_array();
        if (!array || array->size() > kMaxArrayItems) {
            service.error(*groups, "supplementary-groups",
                          fmt::format("expected an array of at most {} names or ids, got {}",
                                      kMaxArrayItems, describe_value(*groups)));
        } else {
            bool ok = true;
            for (const toml::node& item : *array) {
                if (const auto* i = item.as_integer();
                    i && i->get() >= 0 && i->get() <= 0xFFFFFFFE) {
                    main.exec.supplementary_groups.push_back(std::to_string(i->get()));
                } else if (auto text = string_value(item, service.path_of("supplementary-groups"),
                                                    256, service.scope());
                           text && !text->empty()) {
                    main.exec.supplementary_groups.push_back(std::move(*text));
                } else {
                    ok = false;
                }
            }
            if (ok) service.record_origin("supplementary-groups", *groups);
        }
    }
    main.exec.umask = read_umask(service);
    read_rlimits(service, main.exec);
}

void read_dependencies(TableReader& service, const std::string& name, const ServiceContext& context,
                       services::Dependencies& deps) {
    const std::array<std::pair<std::string_view, std::vector<std::string>*>, 4> lists{{
        {"requires", &deps.required},
        {"wants", &deps.wanted},
        {"after", &deps.after},
        {"before", &deps.before},
    }};
    for (const auto& [key, list] : lists) {
        auto names = service.strings(key, kMaxArrayItems, 256);
        if (!names) continue;
        const auto* array = service.node(key)->as_array();
        for (std::size_t i = 0; i < names->size(); ++i) {
            const auto& at = array->get(i)->source();
            if (context.dependencies) {
                context.dependencies->push_back(DependencyRef{name, std::string(key), (*names)[i],
                                                              service.scope().file, line_of(at),
                                                              column_of(at)});
            }
        }
        *list = std::move(*names);
        std::ranges::sort(*list);
        list->erase(std::unique(list->begin(), list->end()), list->end());
    }
}

// The defaults a TOML service starts from, with their origins.
void start_from_defaults(ServiceSpec& spec, const ServiceDefaults& defaults) {
    spec.restart = defaults.restart;
    spec.stop = defaults.stop;
    spec.finish_timeout = defaults.finish_timeout;
    spec.readiness.timeout = defaults.readiness_timeout;
    spec.origins.values = defaults.origins;
    spec.origins.values.erase("finish-timeout");  // TOML services have no ./finish
}

// Rules that tie keys together, checked once every key is read.
void check_type_rules(TableReader& service, ServiceSpec& spec) {
    // The sandbox's spawn path passes stdio only: the pipe's write end would not get in.
    if (spec.sandbox && std::holds_alternative<services::FdReadiness>(spec.readiness.method)) {
        const toml::node* readiness = service.node("readiness");
        const toml::node* type =
            readiness && readiness->as_table() ? readiness->as_table()->get("type") : nullptr;
        service.error(type ? *type : *readiness, "readiness.type",
                      "type = \"fd\" does not work with [sandbox] yet: use \"notify\", "
                      "\"exec\" or \"tcp\"");
    }
    if (spec.type != ServiceType::Oneshot) return;
    for (std::string_view key : {"readiness", "health"}) {
        if (const toml::node* node = service.node(key)) {
            service.error(*node, key,
                          "a oneshot service is ready when it exits 0; this does not apply to it");
        }
    }
    if (spec.restart.policy != services::RestartPolicy::Always) return;
    const toml::node* restart = service.node("restart");
    const toml::node* policy =
        restart && restart->as_table() ? restart->as_table()->get("policy") : nullptr;
    if (policy) {  // unless it holds a wrong value, reported already
        if (policy->value<std::string>() == "always") {
            service.error(*policy, "restart.policy",
                          "a oneshot service is done when it exits 0: use \"on-failure\" or "
                          "\"never\"");
        }
        return;
    }
    // The global default does not fit a oneshot: it runs once.
    spec.restart.policy = services::RestartPolicy::Never;
    spec.origins.values.erase("restart.policy");
}

}  // namespace

bool is_service_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxServiceName || name.front() == '.' ||
        name.front() == '-') {
        return false;
    }
    return std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '@' || c == '+' || c == '-';
    });
}

std::optional<std::vector<std::string>> read_argv(TableReader& reader, std::string_view key) {
    const toml::node* node = reader.node(key);
    if (!node) return std::nullopt;
    if (const auto* text = node->as_string()) {
        // Show the words they probably meant, and the shell form for shell syntax.
        std::string words;
        std::size_t start = 0;
        const std::string_view line = std::string_view(text->get()).substr(0, 200);
        while (start < line.size()) {
            const auto begin = line.find_first_not_of(" \t", start);
            if (begin == std::string_view::npos) break;
            const auto end = std::min(line.find_first_of(" \t", begin), line.size());
            words +=
                fmt::format("{}\"{}\"", words.empty() ? "" : ", ", line.substr(begin, end - begin));
            start = end;
        }
        reader.error(*node, key,
                     fmt::format("must be an array (argv, run without a shell): write [{}], or "
                                 "for shell syntax [\"/bin/sh\", \"-c\", \"{}\"]",
                                 words, line));
        return std::nullopt;
    }
    auto argv = reader.strings(key, kMaxArrayItems, kMaxStringBytes);
    if (argv && argv->empty()) {
        reader.error(*node, key, "must name a program: [\"/usr/bin/app\", \"--flag\"]");
        reader.forget_origin(key);
        return std::nullopt;
    }
    return argv;
}

services::ServiceSpec read_toml_service(const toml::table& table, const std::string& name,
                                        const fs::path& file, const services::Origin& defined_at,
                                        const ServiceContext& context, Diagnostics& diags) {
    ServiceSpec spec;
    spec.name = name;
    spec.source = services::SourceKind::Toml;
    start_from_defaults(spec, *context.defaults);
    spec.origins.defined_at = defined_at;
    TableReader service(table, "services." + name, "",
                        ReadScope{file, &diags, &spec.origins.values});

    if (auto argv = read_argv(service, "command")) {
        spec.main.command = std::move(*argv);
    } else if (!service.has("command")) {
        service.error_here(
            "missing key \"command\" (the program and its arguments, e.g. "
            "command = [\"/usr/bin/app\", \"--flag\"])");
    }
    if (auto type = service.choice<ServiceType>("type", kTypes)) spec.type = *type;
    read_exec_context(service, context, spec.main);
    if (auto down = service.boolean("down")) spec.main.normally_down = *down;
    if (auto essential = service.boolean("essential")) spec.essential = *essential;
    read_dependencies(service, name, context, spec.deps);
    if (auto restart = service.table("restart")) read_restart(*restart, spec.restart);
    if (auto stop = service.table("stop")) read_stop(*stop, spec.stop, true);
    if (spec.type == ServiceType::Notify) spec.readiness.method = services::NotifyReadiness{};
    if (auto readiness = service.table("readiness")) {
        read_readiness(*readiness, spec.type, spec.readiness);
    }
    if (auto health = service.table("health")) spec.health = read_health(*health);
    if (auto log = service.table("log")) {
        if (auto mode = log->choice<services::OutputMode>("mode", kOutputModes)) spec.output = *mode;
        if (auto text = log->string("prefix")) {
            auto format = services::parse_prefix_format(*text);
            if (format) {
                spec.prefix = std::move(*format);
            } else {
                log->error(*log->node("prefix"), "prefix", format.error().message());
                log->forget_origin("prefix");
            }
        }
        log->finish();
    }
    if (auto sandbox = service.table("sandbox")) spec.sandbox = read_sandbox(*sandbox, context.base_dir);
    check_type_rules(service, spec);
    service.finish();
    return spec;
}

}  // namespace svinit::config
