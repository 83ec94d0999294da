#pragma once
// When an essential service (TOML's `essential = true`) has failed for good, and the
// status svinit then exits with.

#include <optional>

#include "services/service_fsm.h"

namespace svinit::services {

// The exit code svinit ends with when a service in `state` is essential: nullopt while it
// has not failed for good (the start limit hit, or a failing exit under restart policy
// never, or finish's 125). The code is run's status as a shell reports it (128+N for
// signal N); a run that could not be spawned gives 127 (not found), 126 (not executable)
// or 1, like a main command; a failure that left status 0 behind still gives 1.
std::optional<int> essential_exit_code(const ServiceState& state) noexcept;

}  // namespace svinit::services
