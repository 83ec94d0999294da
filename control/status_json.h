#pragma once
// Internal to the codec: a ServiceStatus as the JSON object of docs/protocol.md.

#include <string>

#include "control/json_fields.h"
#include "services/supervisor_api.h"

namespace svinit::control::detail {

Json encode_status(const services::ServiceStatus& status);

// Problems go to `problems`, named under `path`.
services::ServiceStatus decode_status(const Json& value, const std::string& path,
                                      Problems& problems);

}  // namespace svinit::control::detail
