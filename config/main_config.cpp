#include "config/main_config.h"

#include <array>
#include <utility>

#include "config/toml_service.h"

namespace svinit::config {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kMaxDirs = 64;

constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kLogLevels{{
    {"trace", "trace"},
    {"debug", "debug"},
    {"info", "info"},
    {"warn", "warn"},
    {"error", "error"},
    {"off", "off"},
}};

std::optional<std::vector<fs::path>> read_dirs(TableReader& top, std::string_view key,
                                               const fs::path& base_dir) {
    auto list = top.strings(key, kMaxDirs, kMaxPathBytes);
    if (!list) return std::nullopt;
    std::vector<fs::path> dirs;
    for (const std::string& dir : *list) {
        fs::path path(dir);
        dirs.push_back((path.is_relative() ? base_dir / path : path).lexically_normal());
    }
    return dirs;
}

void read_defaults(TableReader& top, ServiceDefaults& defaults) {
    const toml::node* node = top.node("defaults");
    if (!node) return;
    const auto* table = node->as_table();
    if (!table) {
        top.error(*node, "defaults", "expected a table, got " + describe_value(*node));
        return;
    }
    ReadScope scope = top.scope();
    scope.origins = &defaults.origins;
    TableReader reader(*table, "defaults", "", scope);
    if (auto finish = reader.duration("finish-timeout", 0ms, 24h))
        defaults.finish_timeout = *finish;
    if (auto restart = reader.table("restart")) read_restart(*restart, defaults.restart);
    if (auto stop = reader.table("stop")) read_stop(*stop, defaults.stop, false);
    if (auto readiness = reader.table("readiness")) {
        if (auto timeout = readiness->duration("timeout", 1ms, 24h)) {
            defaults.readiness_timeout = *timeout;
        }
        readiness->finish();
    }
    reader.finish();
    // svctl show tells these from the service's own keys, which may be in the same file.
    for (auto& [key, origin] : defaults.origins) origin.in_defaults = true;
}

}  // namespace

void read_global_settings(TableReader& top, const fs::path& base_dir, GlobalSettings& settings) {
    settings.service_dirs = read_dirs(top, "service-dirs", base_dir);
    settings.toml_service_dirs = read_dirs(top, "toml-service-dirs", base_dir);
    if (auto socket = top.string("control-socket")) {
        if (socket->empty()) {
            top.error(*top.node("control-socket"), "control-socket", "must not be empty");
        } else {
            fs::path path(*socket);
            settings.control_socket =
                (path.is_relative() ? base_dir / path : path).lexically_normal().string();
        }
    }
    settings.control_group = top.name_or_id("control-group");
    if (auto level = top.choice<std::string_view>("log-level", kLogLevels)) {
        settings.log_level = std::string(*level);
    }
    settings.output = read_output_settings(top, base_dir);
    read_defaults(top, settings.defaults);
    (void)top.node("services");
}

}  // namespace svinit::config
