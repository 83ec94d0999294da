#pragma once
// What `svctl show` prints: a service's effective definition as TOML with where each value
// came from, or as JSON with --json. Pure.

#include <span>
#include <string>
#include <string_view>

#include "control/protocol.h"

namespace svinit::svctl {

// Lines without the last '\n':
//   [services.web]  # toml, /etc/svinit/svinit.toml:7:1
//   command = ["/usr/bin/web"]   # /etc/svinit/svinit.toml:8:11
//   stop.timeout = "10s"         # default
// The comments line up; a service name that is no TOML bare key is quoted. Keys are
// bare: ours, environment variable names and limit names all are.
std::string format_definition(std::string_view name, const control::Definition& definition);

// {"services": [{"service", "source", "defined_at", "values": [{"key", "value", "origin"}]}]}
// (one line), "value" being the JSON value itself; a failed result has "error" and
// "message" instead. display_names[i] names results[i] (empty: the results' own names).
std::string definition_json(std::span<const control::ServiceResult> results,
                            std::span<const std::string> display_names);

}  // namespace svinit::svctl
