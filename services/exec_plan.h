#pragma once
// How a TOML service's program is started: argv[0] found in PATH, the environment built
// from ExecContext, the working directory, user and groups, umask and limits, as
// core::SpawnOptions. Computed at every spawn, so a changed /etc/passwd or PATH applies at
// the next start; the lookups run in svinit, before the clone.

#include <string>
#include <vector>

#include "core/error.h"
#include "core/spawn.h"
#include "services/service_spec.h"

namespace svinit::services {

// Everything but stdio. `command` is the argv to run (the service's, or its stop command);
// the environment variables of `extra` ("NOTIFY_SOCKET=...") come last and win.
core::Result<core::SpawnOptions> exec_options(const ProcessSpec& spec,
                                              const std::vector<std::string>& command,
                                              const std::vector<std::string>& extra = {});

// The child's environment: svinit's (inherit_environment), then USER, LOGNAME and HOME of
// `user_name` when it is set, then spec's variables, then `extra`; "NAME=VALUE" sorted by
// name, each name once.
std::vector<std::string> exec_environment(const ExecContext& exec, const std::string& user_name,
                                          const std::string& home,
                                          const std::vector<std::string>& extra);

}  // namespace svinit::services
