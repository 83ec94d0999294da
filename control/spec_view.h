#pragma once
// The effective definition of a service as `svctl show` prints it: each value, defaults
// filled in, with where it came from. Pure: built from the ServiceSpec the supervisor
// holds, whose origins config/ recorded.

#include "control/protocol.h"
#include "services/service_spec.h"

namespace svinit::control {

// Keys are TOML's, in the order docs/svinit.toml.md lists them. A runit service shows its
// directory's files and the settings that apply to it. Values left to svinit's own (user,
// group, umask, rlimits, env-file, no start limit) are not listed.
Definition describe_spec(const services::ServiceSpec& spec);

// "FILE:LINE:COLUMN", "[defaults] FILE:LINE:COLUMN", "--stop-timeout" or "default".
std::string describe_origin(const services::Origin& origin);

}  // namespace svinit::control
