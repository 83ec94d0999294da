#include "services/exec_plan.h"

#include <cstdlib>
#include <map>

#include "core/credentials.h"

extern char** environ;

namespace svinit::services {
namespace {

void put(std::map<std::string, std::string>& env, std::string_view entry) {
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) return;
    env.insert_or_assign(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
}

}  // namespace

std::vector<std::string> exec_environment(const ExecContext& exec, const std::string& user_name,
                                          const std::string& home,
                                          const std::vector<std::string>& extra) {
    std::map<std::string, std::string> env;
    if (exec.inherit_environment) {
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) put(env, *e);
    }
    if (!user_name.empty()) {  // as login(1) and systemd's User= set them
        env.insert_or_assign("USER", user_name);
        env.insert_or_assign("LOGNAME", user_name);
        env.insert_or_assign("HOME", home);
    }
    for (const auto& [name, value] : exec.environment) env.insert_or_assign(name, value);
    for (const auto& entry : extra) put(env, entry);
    std::vector<std::string> out;
    out.reserve(env.size());
    for (const auto& [name, value] : env) out.push_back(name + "=" + value);
    return out;
}

core::Result<core::SpawnOptions> exec_options(const ProcessSpec& spec,
                                              const std::vector<std::string>& command,
                                              const std::vector<std::string>& extra) {
    if (command.empty()) return core::error(EINVAL, "no command");
    // svinit's PATH decides where argv[0] is found, not the service's: what runs must not
    // depend on a variable the service file sets for its program.
    const char* path_env = std::getenv("PATH");
    auto path = core::resolve_command(command.front(), path_env ? path_env : "");
    if (!path) return std::unexpected(path.error());
    auto credentials = core::resolve_credentials(
        {spec.exec.user, spec.exec.group, spec.exec.supplementary_groups});
    if (!credentials) return std::unexpected(credentials.error());

    core::SpawnOptions options;
    options.path = std::move(*path);
    options.argv = command;
    options.env = exec_environment(spec.exec, credentials->user_name, credentials->home, extra);
    options.cwd = spec.dir.string();
    options.umask = spec.exec.umask.transform([](std::uint32_t m) { return static_cast<mode_t>(m); });
    for (const ResourceLimit& limit : spec.exec.rlimits) {
        options.limits.push_back({limit.resource, static_cast<unsigned long>(limit.soft),
                                  static_cast<unsigned long>(limit.hard)});
    }
    options.credentials = std::move(credentials->ids);
    return options;
}

}  // namespace svinit::services
