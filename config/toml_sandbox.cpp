#include "config/toml_sandbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <utility>

#include "config/sandbox_values.h"
#include "config/small_file.h"
#include "config/suggest.h"
#include "config/toml_document.h"
#include "sandbox/capabilities.h"
#include "sandbox/seccomp_filter.h"

namespace svinit::config {

namespace {

namespace fs = std::filesystem;
using sandbox::SandboxSpec;

constexpr std::size_t kMaxSandboxFile = 1 << 20;
constexpr std::size_t kMaxHostname = 64;

std::string absolute(const fs::path& base_dir, const std::string& text) {
    fs::path path(text);
    if (path.is_relative()) path = base_dir / path;
    return path.lexically_normal().string();
}

// An error at an item of an array (or anywhere inside the table).
void item_error(TableReader& reader, const toml::node& at, const std::string& what,
                std::string_view message) {
    reader.scope().diags->add(reader.scope().file, line_of(at.source()), column_of(at.source()),
                              fmt::format("{}: {}", what, message));
}

// An absolute path inside the root: "/data", no "..".
bool inside_path(const std::string& path) {
    if (path.empty() || path.front() != '/') return false;
    return fs::path(path).lexically_normal().string().find("..") == std::string::npos;
}

const toml::array* array_of(TableReader& reader, std::string_view key) {
    const toml::node* node = reader.node(key);
    if (!node) return nullptr;
    const auto* array = node->as_array();
    if (!array || array->size() > kMaxArrayItems) {
        reader.error(*node, key,
                     fmt::format("expected an array of at most {} items, got {}", kMaxArrayItems,
                                 describe_value(*node)));
        return nullptr;
    }
    return array;
}

void read_namespaces(TableReader& reader, SandboxSpec& spec) {
    auto names = reader.strings("namespaces", 16, 32);
    if (!names) return;
    std::vector<std::string_view> known;
    for (int i = 0; i <= static_cast<int>(sandbox::Namespace::User); ++i) {
        known.push_back(sandbox::to_string(static_cast<sandbox::Namespace>(i)));
    }
    spec.namespaces.clear();
    const auto* array = reader.node("namespaces")->as_array();
    for (std::size_t i = 0; i < names->size(); ++i) {
        const std::string& name = (*names)[i];
        auto ns = sandbox::namespace_from_string(name);
        const std::string what = fmt::format("{}[{}]", reader.path_of("namespaces"), i);
        if (!ns) {
            item_error(reader, *array->get(i), what,
                       fmt::format("unknown namespace \"{}\" (pid, mount, uts, ipc, net, cgroup, "
                                   "user){}",
                                   name, did_you_mean(closest(name, known))));
            continue;
        }
        if (spec.has(*ns)) {
            item_error(reader, *array->get(i), what, fmt::format("\"{}\" given twice", name));
            continue;
        }
        spec.namespaces.push_back(*ns);
    }
    std::ranges::sort(spec.namespaces);
}

std::vector<sandbox::IdMap> read_maps(TableReader& reader, std::string_view key) {
    std::vector<sandbox::IdMap> maps;
    const toml::array* array = array_of(reader, key);
    if (!array) return maps;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = *array->get(i);
        const std::string what = fmt::format("{}[{}]", reader.path_of(key), i);
        const auto* table = item.as_table();
        if (!table) {
            item_error(
                reader, item, what,
                fmt::format("expected a table {{ inside = 0, outside = 100000, count = 65536 "
                            "}}, got {}",
                            describe_value(item)));
            continue;
        }
        TableReader entry(*table, what, "", reader.scope());
        auto inside = entry.integer("inside", 0, UINT32_MAX - 1);
        auto outside = entry.integer("outside", 0, UINT32_MAX - 1);
        auto count = entry.integer("count", 1, UINT32_MAX);
        if (!entry.has("inside") || !entry.has("outside")) {
            entry.error_here("needs inside and outside (and count, default 1)");
        }
        entry.finish();
        if (inside && outside) {
            maps.push_back({static_cast<std::uint32_t>(*inside),
                            static_cast<std::uint32_t>(*outside),
                            static_cast<std::uint32_t>(count.value_or(1))});
        }
    }
    return maps;
}

void read_binds(TableReader& reader, const fs::path& base_dir, SandboxSpec& spec) {
    const toml::array* array = array_of(reader, "binds");
    if (!array) return;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = *array->get(i);
        const std::string what = fmt::format("{}[{}]", reader.path_of("binds"), i);
        sandbox::Bind bind;
        if (const auto* text = item.as_string()) {
            if (!inside_path(text->get())) {
                item_error(reader, item, what,
                           "a bind given as a string is an absolute path, "
                           "bound to the same path inside");
                continue;
            }
            bind.source = bind.target = fs::path(text->get()).lexically_normal().string();
            spec.binds.push_back(std::move(bind));
            continue;
        }
        const auto* table = item.as_table();
        if (!table) {
            item_error(reader, item, what,
                       fmt::format("expected {{ source = \"/srv/data\", target = \"/data\", "
                                   "read-only = true }} or a path, got {}",
                                   describe_value(item)));
            continue;
        }
        TableReader entry(*table, what, "", reader.scope());
        auto source = entry.string("source");
        auto target = entry.string("target");
        if (auto ro = entry.boolean("read-only")) bind.read_only = *ro;
        if (auto rec = entry.boolean("recursive")) bind.recursive = *rec;
        entry.finish();
        if (!source) {
            if (!entry.has("source")) entry.error_here("needs source (a host path)");
            continue;
        }
        bind.source = absolute(base_dir, *source);
        bind.target = target ? *target : bind.source;
        if (!inside_path(bind.target)) {
            entry.error(*entry.node(target ? "target" : "source"), target ? "target" : "source",
                        "must be an absolute path inside the root, without \"..\"");
            continue;
        }
        bind.target = fs::path(bind.target).lexically_normal().string();
        spec.binds.push_back(std::move(bind));
    }
}

void read_tmpfs(TableReader& reader, SandboxSpec& spec) {
    const toml::array* array = array_of(reader, "tmpfs");
    if (!array) return;
    for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::node& item = *array->get(i);
        const std::string what = fmt::format("{}[{}]", reader.path_of("tmpfs"), i);
        sandbox::Tmpfs tmpfs;
        std::optional<std::string> target;
        if (const auto* text = item.as_string()) {
            target = text->get();
        } else if (const auto* table = item.as_table()) {
            TableReader entry(*table, what, "", reader.scope());
            target = entry.string("target");
            if (auto size = entry.string("size", 32)) {
                auto bytes = parse_size(*size);
                if (!bytes) {
                    entry.error(*entry.node("size"), "size", bytes.error().message());
                } else {
                    tmpfs.size = *bytes;
                }
            }
            if (auto mode = entry.string("mode", 8)) {
                if (mode->empty() || mode->size() > 4 ||
                    mode->find_first_not_of("01234567") != std::string::npos) {
                    entry.error(*entry.node("mode"), "mode",
                                "expected an octal mode such as \"1777\"");
                } else {
                    tmpfs.mode = static_cast<std::uint32_t>(std::stoul(*mode, nullptr, 8));
                }
            }
            if (!entry.has("target")) entry.error_here("needs target (a path inside the root)");
            entry.finish();
        } else {
            item_error(reader, item, what,
                       fmt::format("expected a path or {{ target = \"/tmp\", size = \"64M\" }}, "
                                   "got {}",
                                   describe_value(item)));
            continue;
        }
        if (!target) continue;
        if (!inside_path(*target)) {
            item_error(reader, item, what,
                       "must be an absolute path inside the root, without \"..\"");
            continue;
        }
        tmpfs.target = fs::path(*target).lexically_normal().string();
        spec.tmpfs.push_back(std::move(tmpfs));
    }
}

// masked-paths and readonly-paths add to runc's defaults (default-paths = false drops them).
void read_paths(TableReader& reader, SandboxSpec& spec) {
    if (auto defaults = reader.boolean("default-paths"); defaults && !*defaults) {
        spec.masked_paths.clear();
        spec.readonly_paths.clear();
    }
    for (auto [key, list] : {std::pair{"masked-paths", &spec.masked_paths},
                             std::pair{"readonly-paths", &spec.readonly_paths}}) {
        auto paths = reader.strings(key);
        if (!paths) continue;
        const auto* array = reader.node(key)->as_array();
        for (std::size_t i = 0; i < paths->size(); ++i) {
            const std::string& path = (*paths)[i];
            if (!inside_path(path)) {
                item_error(reader, *array->get(i), fmt::format("{}[{}]", reader.path_of(key), i),
                           "must be an absolute path inside the root, without \"..\"");
                continue;
            }
            std::string normal = fs::path(path).lexically_normal().string();
            if (std::ranges::find(*list, normal) == list->end()) list->push_back(std::move(normal));
        }
    }
}

std::optional<sandbox::CapSet> read_cap_names(TableReader& reader, std::string_view key) {
    auto names = reader.strings(key, 64, 64);
    if (!names) return std::nullopt;
    const auto known = sandbox::capability_names();
    const auto* array = reader.node(key)->as_array();
    sandbox::CapSet caps;
    bool ok = true;
    for (std::size_t i = 0; i < names->size(); ++i) {
        auto cap = sandbox::capability_from_name((*names)[i]);
        if (!cap) {
            std::string upper;
            for (char c : (*names)[i])
                upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!upper.starts_with("CAP_")) upper = "CAP_" + upper;
            item_error(
                reader, *array->get(i), fmt::format("{}[{}]", reader.path_of(key), i),
                fmt::format("unknown capability \"{}\"{}", (*names)[i],
                            did_you_mean(closest(upper, std::span<const std::string>(known)))));
            ok = false;
            continue;
        }
        caps.push_back(*cap);
    }
    if (!ok) return std::nullopt;
    std::ranges::sort(caps);
    caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
    return caps;
}

void read_capabilities(TableReader& reader, SandboxSpec& spec) {
    const toml::node* node = reader.node("capabilities");
    if (!node) return;
    if (node->is_array()) {
        if (auto caps = read_cap_names(reader, "capabilities")) {
            spec.capabilities = sandbox::Capabilities::keep(std::move(*caps));
        }
        return;
    }
    auto table = reader.table("capabilities");
    if (!table) return;
    auto& caps = spec.capabilities;
    for (auto [key, set] : {std::pair{"bounding", &caps.bounding},
                            {"effective", &caps.effective},
                            {"permitted", &caps.permitted},
                            {"inheritable", &caps.inheritable},
                            {"ambient", &caps.ambient}}) {
        if (auto names = read_cap_names(*table, key)) *set = std::move(*names);
    }
    table->finish();
}

std::optional<int> read_errno(TableReader& reader) {
    const toml::node* node = reader.node("errno");
    if (!node) return std::nullopt;
    if (const auto* i = node->as_integer(); i && i->get() >= 1 && i->get() <= 4095) {
        return static_cast<int>(i->get());
    }
    if (const auto* text = node->as_string()) {
        auto value = errno_from_name(text->get());
        if (value) return *value;
        reader.error(*node, "errno", value.error().message());
        return std::nullopt;
    }
    reader.error(
        *node, "errno",
        fmt::format("expected an errno name (\"EPERM\") or number, got {}", describe_value(*node)));
    return std::nullopt;
}

std::optional<std::vector<std::string>> read_syscalls(TableReader& reader, std::string_view key) {
    auto names = reader.strings(key, 512, 64);
    if (!names) return std::nullopt;
    const auto* array = reader.node(key)->as_array();
    bool ok = true;
    for (std::size_t i = 0; i < names->size(); ++i) {
        if (!sandbox::is_syscall_name((*names)[i])) {
            item_error(
                reader, *array->get(i), fmt::format("{}[{}]", reader.path_of(key), i),
                fmt::format("\"{}\" is not a system call of this architecture", (*names)[i]));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    std::ranges::sort(*names);
    names->erase(std::unique(names->begin(), names->end()), names->end());
    return names;
}

void read_seccomp(TableReader& reader, SandboxSpec& spec) {
    const toml::node* node = reader.node("seccomp");
    if (!node) return;
    auto& seccomp = spec.seccomp;
    if (node->is_string()) {
        constexpr std::array<std::pair<std::string_view, sandbox::SeccompMode>, 2> kModes{{
            {"default", sandbox::SeccompMode::DenyList},
            {"none", sandbox::SeccompMode::Off},
        }};
        if (auto mode = reader.choice<sandbox::SeccompMode>("seccomp", kModes))
            seccomp.mode = *mode;
        return;
    }
    auto table = reader.table("seccomp");
    if (!table) return;
    auto deny = read_syscalls(*table, "deny");
    auto allow = read_syscalls(*table, "allow");
    if (auto e = read_errno(*table)) seccomp.errno_value = *e;
    auto default_list = table->boolean("default-list");
    auto io_uring = table->boolean("io-uring");
    if (table->has("deny") && table->has("allow")) {
        table->error(
            *table->node("allow"), "allow",
            "give deny (everything else allowed) or allow (everything else refused), not both");
    } else if (table->has("allow")) {
        seccomp.mode = sandbox::SeccompMode::AllowList;
        seccomp.default_list = false;
        for (std::string_view key : {"default-list", "io-uring"}) {
            if (table->has(key)) table->error(*table->node(key), key, "applies only with deny");
        }
        if (allow) {
            if (std::ranges::find(*allow, "execve") == allow->end()) {
                table->error(*table->node("allow"), "allow",
                             "must include \"execve\": the worker is started by it, after the "
                             "filter is in place");
            }
            seccomp.syscalls = std::move(*allow);
        }
    } else {
        seccomp.mode = sandbox::SeccompMode::DenyList;
        if (default_list) seccomp.default_list = *default_list;
        if (io_uring) seccomp.allow_io_uring = *io_uring;
        if (deny) seccomp.syscalls = std::move(*deny);
        if (!seccomp.default_list && seccomp.syscalls.empty()) {
            table->error_here("denies nothing: give deny = [...], or seccomp = \"none\"");
        }
    }
    table->finish();
}

std::optional<std::uint64_t> read_size(TableReader& reader, std::string_view key) {
    const toml::node* node = reader.node(key);
    if (!node) return std::nullopt;
    if (const auto* i = node->as_integer(); i && i->get() > 0) {
        reader.record_origin(key, *node);
        return static_cast<std::uint64_t>(i->get());
    }
    if (const auto* text = node->as_string()) {
        if (text->get() == "max") return std::nullopt;
        auto bytes = parse_size(text->get());
        if (bytes && *bytes >= 4096) {
            reader.record_origin(key, *node);
            return *bytes;
        }
        reader.error(*node, key, bytes ? "must be at least 4K" : bytes.error().message());
        return std::nullopt;
    }
    reader.error(*node, key,
                 fmt::format("expected a size such as \"256M\", got {}", describe_value(*node)));
    return std::nullopt;
}

void read_limits(TableReader& reader, sandbox::Limits& limits) {
    limits.memory_max = read_size(reader, "memory-max");
    if (const toml::node* node = reader.node("pids-max");
        node && node->value<std::string>() == "max") {
        // no limit, as cgroup's own spelling
    } else if (auto pids = reader.integer("pids-max", 1, 4'194'304)) {
        limits.pids_max = static_cast<std::uint64_t>(*pids);
    }
    if (const toml::node* node = reader.node("cpu-max")) {
        std::optional<core::Result<sandbox::CpuMax>> cpu;  // nullopt: "max", no limit
        if (const auto* text = node->as_string()) {
            if (text->get() != "max") cpu = parse_cpu_max(text->get());
        } else if (const auto* f = node->as_floating_point()) {
            cpu = cpu_max_from_cpus(f->get());
        } else if (const auto* i = node->as_integer()) {
            cpu = cpu_max_from_cpus(static_cast<double>(i->get()));
        } else {
            cpu =
                core::error(0, fmt::format("expected \"50000 100000\" or a number of CPUs, got {}",
                                           describe_value(*node)));
        }
        if (cpu && *cpu) {
            limits.cpu_max = **cpu;
            reader.record_origin("cpu-max", *node);
        } else if (cpu) {
            reader.error(*node, "cpu-max", cpu->error().message());
        }
    }
    if (auto weight = reader.integer("cpu-weight", 1, 10000)) {
        limits.cpu_weight = static_cast<std::uint32_t>(*weight);
    }
}

bool is_hostname(std::string_view name) {
    if (name.empty() || name.size() > kMaxHostname) return false;
    return std::ranges::all_of(name, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.';
    });
}

// check()'s messages start with the key they are about; put them at that key.
void report_problems(TableReader& reader, const SandboxSpec& spec) {
    for (const std::string& problem : sandbox::check(spec)) {
        const auto end = problem.find_first_of(":,.[");
        const std::string key = problem.substr(0, end);
        const toml::node* at = reader.table().get(key);
        // "capabilities.ambient: ..." -> "...capabilities: ambient: ...";
        // "binds[0]: ..." -> "...binds[0]: ...".
        std::string message;
        if (end != std::string::npos && problem[end] == '.') {
            message = ": " + problem.substr(end + 1);
        } else if (end != std::string::npos && problem[end] == '[') {
            message = problem.substr(end);
        } else {
            message = problem.substr(std::min(problem.find(": "), problem.size()));
        }
        if (at) {
            reader.scope().diags->add(reader.scope().file, line_of(at->source()),
                                      column_of(at->source()),
                                      fmt::format("{}{}", reader.path_of(key), message));
        } else {
            reader.error_here(problem);
        }
    }
}

}  // namespace

SandboxSpec read_sandbox(TableReader& reader, const fs::path& base_dir) {
    SandboxSpec spec;
    spec.namespaces = sandbox::default_namespaces();
    read_namespaces(reader, spec);
    if (auto hostname = reader.string("hostname", 256)) {
        if (!is_hostname(*hostname)) {
            reader.error(*reader.node("hostname"), "hostname",
                         "expected 1 to 64 letters, digits, '-' and '.'");
        } else {
            spec.hostname = std::move(*hostname);
        }
    }
    spec.uid_map = read_maps(reader, "uid-map");
    spec.gid_map = read_maps(reader, "gid-map");
    if (auto root = reader.string("root")) {
        if (root->empty()) {
            reader.error(*reader.node("root"), "root", "must not be empty");
        } else {
            spec.root = absolute(base_dir, *root);
        }
    } else if (!reader.has("root")) {
        reader.error_here("missing key \"root\" (the directory the worker sees as /)");
    }
    if (auto ro = reader.boolean("read-only-root")) spec.read_only_root = *ro;
    read_binds(reader, base_dir, spec);
    read_tmpfs(reader, spec);
    if (auto proc = reader.boolean("proc")) spec.proc = *proc;
    if (auto dev = reader.boolean("dev")) spec.dev = *dev;
    read_paths(reader, spec);
    if (auto user = reader.name_or_id("user")) spec.user = std::move(*user);
    if (auto group = reader.name_or_id("group")) spec.group = std::move(*group);
    if (auto nnp = reader.boolean("no-new-privileges")) spec.no_new_privileges = *nnp;
    read_capabilities(reader, spec);
    read_seccomp(reader, spec);
    read_limits(reader, spec.limits);
    reader.finish();
    if (!spec.root.empty()) report_problems(reader, spec);
    return spec;
}

SandboxFile load_sandbox_file(const fs::path& file) {
    SandboxFile out;
    Diagnostics diags;
    auto text = read_small_file(file, kMaxSandboxFile);
    if (!text) {
        diags.add(file, text.error().message());
        out.errors = diags.take();
        return out;
    }
    auto table = parse_toml(*text, file, diags);
    if (table) {
        ReadScope scope{file, &diags, nullptr};
        TableReader top(*table, "", "", scope);
        const fs::path base_dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
        std::optional<SandboxSpec> spec;
        if (table->size() == 1 && table->contains("sandbox")) {
            if (auto inner = top.table("sandbox"))
                spec = read_sandbox(*inner, fs::absolute(base_dir));
            top.finish();
        } else {
            spec = read_sandbox(top, fs::absolute(base_dir));
        }
        if (diags.empty()) out.spec = std::move(spec);
    }
    out.errors = diags.take();
    return out;
}

}  // namespace svinit::config
