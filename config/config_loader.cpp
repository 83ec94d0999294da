#include "config/config_loader.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "config/dir_listing.h"
#include "config/duration.h"
#include "config/runit_dir.h"
#include "config/small_file.h"
#include "config/suggest.h"
#include "config/toml_document.h"
#include "config/toml_service.h"
#include "services/dep_graph.h"

namespace svinit::config {

namespace {

namespace fs = std::filesystem;
using services::Origin;
using services::ServiceSpec;

// Suggestions for unknown dependency names compare against every service: bounded, so a
// file full of bad names stays fast.
constexpr std::size_t kMaxNameSuggestions = 50;

bool path_exists(const fs::path& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// "FILE:LINE:COLUMN" of where a service was defined, for "defined twice" messages.
std::string place(const Origin& origin) {
    return origin.describe();
}

class Loader {
public:
    explicit Loader(const LoadRequest& request)
        : request_(request), budget_(request.max_total_bytes) {}

    LoadedConfig run();

private:
    void read_main_file(const fs::path& file);
    void read_main_services();
    void apply_flags();
    void read_toml_dirs();
    void read_toml_dir(const fs::path& dir, bool must_exist);
    void read_service_file(const fs::path& dir, const std::string& entry);
    void add_toml_service(const toml::table& table, const std::string& name, const fs::path& file,
                          const Origin& defined_at, const fs::path& base_dir);
    bool claim(const std::string& name, const Origin& here);
    bool room_for_more(const Origin& here);
    void read_runit_dirs();
    void check_dependencies();
    void check_cycles();

    const LoadRequest& request_;
    ReadBudget budget_;
    LoadedConfig out_;
    Diagnostics diags_;
    std::optional<toml::table> main_table_;  // kept until its services are read
    fs::path main_dir_;
    std::map<std::string, Origin, std::less<>> defined_;  // name -> where it was first defined
    std::vector<DependencyRef> dependencies_;
    bool too_many_reported_ = false;
};

LoadedConfig Loader::run() {
    if (request_.config_file) {
        read_main_file(*request_.config_file);
    } else if (path_exists(request_.default_config_file)) {
        read_main_file(request_.default_config_file);
    }
    apply_flags();  // before any service takes the defaults
    read_main_services();
    read_toml_dirs();
    read_runit_dirs();
    check_dependencies();
    check_cycles();
    std::ranges::sort(out_.services, {}, &ServiceSpec::name);
    out_.errors = diags_.take();
    return std::move(out_);
}

void Loader::read_main_file(const fs::path& file) {
    out_.config_file = file;
    auto text = budget_.read(file, kMaxConfigFileBytes);
    if (!text) {
        diags_.add(file, text.error().message());
        return;
    }
    main_table_ = parse_toml(*text, file, diags_);
    if (!main_table_) return;
    main_dir_ = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    TableReader top(*main_table_, "", "", ReadScope{file, &diags_, &out_.settings.origins});
    read_global_settings(top, main_dir_, out_.settings);
    top.finish();
}

void Loader::read_main_services() {
    if (!main_table_) return;
    const fs::path& file = *out_.config_file;
    const toml::node* services = main_table_->get("services");
    if (!services) return;
    const auto* list = services->as_table();
    if (!list) {
        diags_.add(file, line_of(services->source()), column_of(services->source()),
                   "services: expected a table of services ([services.NAME]), got " +
                       describe_value(*services));
        return;
    }
    for (const auto& [key, value] : *list) {
        const std::string name(key.str());
        const std::string shown = name.substr(0, 60);
        if (!is_service_name(name)) {
            diags_.add(file, line_of(key.source()), column_of(key.source()),
                       fmt::format("services.{}: not a service name (1 to {} letters, digits and "
                                   "_ . @ + -, not starting with . or -)",
                                   shown, kMaxServiceName));
            continue;
        }
        const auto* service = value.as_table();
        if (!service) {
            diags_.add(file, line_of(value.source()), column_of(value.source()),
                       fmt::format("services.{}: expected a table ([services.{}]), got {}", name,
                                   name, describe_value(value)));
            continue;
        }
        add_toml_service(*service, name, file,
                         Origin{file.string(), line_of(key.source()), column_of(key.source())},
                         main_dir_);
    }
}

// Flags win over the file; their origin is the flag's name.
void Loader::apply_flags() {
    ServiceDefaults& defaults = out_.settings.defaults;
    const DefaultFlags& flags = request_.flags;
    auto set = [&defaults](const std::optional<services::Duration>& flag, services::Duration& to,
                           const char* key, const char* name) {
        if (!flag) return;
        to = *flag;
        defaults.origins[key] = Origin{name, 0, 0};
    };
    set(flags.stop_timeout, defaults.stop.timeout, "stop.timeout", "--stop-timeout");
    set(flags.finish_timeout, defaults.finish_timeout, "finish-timeout", "--finish-timeout");
    set(flags.backoff_min, defaults.restart.backoff_initial, "restart.backoff.initial",
        "--backoff-min");
    set(flags.backoff_max, defaults.restart.backoff_max, "restart.backoff.max", "--backoff-max");
    set(flags.healthy_run, defaults.restart.healthy_after, "restart.healthy-after",
        "--healthy-run");
    if (defaults.restart.backoff_max < defaults.restart.backoff_initial) {
        const Origin max_at = defaults.origins.contains("restart.backoff.max")
                                  ? defaults.origins["restart.backoff.max"]
                                  : Origin{};
        const Origin min_at = defaults.origins.contains("restart.backoff.initial")
                                  ? defaults.origins["restart.backoff.initial"]
                                  : Origin{};
        // At the key in the file when one of the two is there (a flag has no line).
        const Origin& at = max_at.line > 0 ? max_at : min_at;
        diags_.add(at.line > 0 ? fs::path(at.where) : out_.config_file.value_or(fs::path("svinit")),
                   at.line, at.column,
                   fmt::format("defaults.restart.backoff: max ({}, from {}) must not be less "
                               "than initial ({}, from {})",
                               format_duration(defaults.restart.backoff_max), place(max_at),
                               format_duration(defaults.restart.backoff_initial), place(min_at)));
    }
}

void Loader::read_toml_dirs() {
    if (out_.settings.toml_service_dirs) {
        out_.toml_service_dirs = *out_.settings.toml_service_dirs;
        for (const fs::path& dir : out_.toml_service_dirs) read_toml_dir(dir, true);
    } else if (path_exists(request_.default_toml_service_dir)) {
        out_.toml_service_dirs = {request_.default_toml_service_dir};
        read_toml_dir(request_.default_toml_service_dir, false);
    }
}

void Loader::read_toml_dir(const fs::path& dir, bool must_exist) {
    auto listing = list_dir(dir, kMaxEntriesPerDir, false);
    if (listing.error) {
        if (must_exist || listing.error != std::errc::no_such_file_or_directory) {
            diags_.add(dir, "cannot read TOML service directory: " + listing.error.message());
        }
    }
    if (listing.truncated) {
        diags_.add(dir,
                   fmt::format("more than {} entries; the rest are ignored", kMaxEntriesPerDir));
    }
    for (const std::string& entry : listing.names) {
        if (entry.size() <= 5 || !entry.ends_with(".toml")) continue;
        // Past the bound, reading (and parsing) the rest would only be refused.
        if (!room_for_more(Origin{(dir / entry).string(), 0, 0})) return;
        read_service_file(dir, entry);
    }
}

void Loader::read_service_file(const fs::path& dir, const std::string& entry) {
    const fs::path file = dir / entry;
    const std::string name = entry.substr(0, entry.size() - 5);
    if (!is_service_name(name)) {
        diags_.add(file, fmt::format("\"{}\" is not a service name (1 to {} letters, digits and "
                                     "_ . @ + -, not starting with . or -)",
                                     name.substr(0, 60), kMaxServiceName));
        return;
    }
    auto text = budget_.read(file, kMaxConfigFileBytes);
    if (!text) {
        diags_.add(file, text.error().message());
        return;
    }
    auto table = parse_toml(*text, file, diags_);
    if (!table) return;
    add_toml_service(*table, name, file, Origin{file.string(), 0, 0}, dir);
}

void Loader::add_toml_service(const toml::table& table, const std::string& name,
                              const fs::path& file, const Origin& defined_at,
                              const fs::path& base_dir) {
    if (!claim(name, defined_at)) return;
    ServiceContext context{&out_.settings.defaults, base_dir, &dependencies_, &budget_};
    out_.services.push_back(read_toml_service(table, name, file, defined_at, context, diags_));
    ++out_.toml_services;
}

// Takes `name` for the definition at `here`; false (with an error) when it is taken, or
// when there are too many services.
bool Loader::claim(const std::string& name, const Origin& here) {
    if (auto first = defined_.find(name); first != defined_.end()) {
        diags_.add(services::Diagnostic{
            here.where, here.line,
            fmt::format("service {} is defined twice: here and at {}", name, place(first->second)),
            here.column});
        return false;
    }
    if (!room_for_more(here)) return false;
    defined_.emplace(name, here);
    return true;
}

// False once there are max_services, with one error for the first one refused.
bool Loader::room_for_more(const Origin& here) {
    if (defined_.size() < request_.max_services) return true;
    if (!too_many_reported_) {
        diags_.add(services::Diagnostic{
            here.where, here.line,
            fmt::format("more than {} services; this one and the rest are ignored",
                        request_.max_services),
            here.column});
        too_many_reported_ = true;
    }
    return false;
}

void Loader::read_runit_dirs() {
    if (request_.service_dirs) {
        out_.service_dirs = *request_.service_dirs;
    } else if (out_.settings.service_dirs) {
        out_.service_dirs = *out_.settings.service_dirs;
    } else {
        out_.service_dirs = request_.fallback_service_dirs;
    }
    if (out_.service_dirs.empty()) return;
    ScanResult scan = scan_service_dirs(out_.service_dirs, request_.max_services);
    out_.service_dir_problems = std::move(scan.diagnostics);
    for (ServiceSpec& spec : scan.services) {
        spec.origins.defined_at = Origin{spec.main.dir.string(), 0, 0};
        if (!claim(spec.name, spec.origins.defined_at)) continue;
        apply_defaults(spec, out_.settings.defaults);
        out_.services.push_back(std::move(spec));
    }
}

void Loader::check_dependencies() {
    std::vector<std::string> names;
    names.reserve(defined_.size());
    for (const auto& [name, origin] : defined_) names.push_back(name);
    std::size_t suggestions = 0;
    for (const DependencyRef& ref : dependencies_) {
        if (defined_.contains(ref.name)) continue;
        std::string hint;
        if (suggestions < kMaxNameSuggestions) {
            ++suggestions;
            hint = did_you_mean(closest(ref.name, names));
        }
        diags_.add(ref.file, ref.line, ref.column,
                   fmt::format("services.{}.{}: no service named \"{}\"{}", ref.service, ref.key,
                               ref.name.substr(0, 60), hint));
    }
}

void Loader::check_cycles() {
    const auto graph = services::DepGraph::build(out_.services);
    if (graph.cycles().empty()) return;
    // Where each step "A waits for B" is written: A's requires/wants/after naming B, or B's
    // before naming A. The first such place.
    std::map<std::pair<std::string_view, std::string_view>, const DependencyRef*> steps;
    for (const DependencyRef& ref : dependencies_) {
        const bool before = ref.key == "before";
        const std::string_view waiter = before ? ref.name : ref.service;
        const std::string_view waited = before ? ref.service : ref.name;
        steps.emplace(std::pair{waiter, waited}, &ref);
    }
    for (const auto& cycle : graph.cycles()) {
        const std::string message =
            fmt::format("dependency cycle: {}", services::DepGraph::spell(cycle));
        if (auto step =
                steps.find(std::pair<std::string_view, std::string_view>{cycle[0], cycle[1]});
            step != steps.end()) {
            const DependencyRef& at = *step->second;
            diags_.add(at.file, at.line, at.column,
                       fmt::format("services.{}.{}: {}", at.service, at.key, message));
        } else {
            const Origin& where = defined_.at(cycle[0]);
            diags_.add(services::Diagnostic{where.where, where.line,
                                            fmt::format("services.{}: {}", cycle[0], message),
                                            where.column});
        }
    }
}

}  // namespace

LoadedConfig load_config(const LoadRequest& request) {
    return Loader(request).run();
}

}  // namespace svinit::config
