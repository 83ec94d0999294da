#pragma once
// The values a service gets for what it does not set itself: built in, overridden by the
// main file's [defaults], overridden by command-line flags (--stop-timeout, ...). Each
// knows where it came from, so `svctl show` can say so.

#include <map>
#include <string>

#include "services/service_spec.h"

namespace svinit::config {

struct ServiceDefaults {
    services::RestartSpec restart{};
    services::StopSpec stop{SIGTERM, std::chrono::seconds(10), services::KillMode::Group, {}};
    services::Duration finish_timeout = std::chrono::seconds(5);
    services::Duration readiness_timeout = std::chrono::seconds(60);
    // By the key path a service would use: "restart.policy", "stop.timeout",
    // "finish-timeout", "readiness.timeout". Absent: built in.
    std::map<std::string, services::Origin, std::less<>> origins{};

    bool operator==(const ServiceDefaults&) const = default;
};

// Gives a runit directory's spec the defaults that apply to it: restart, stop signal and
// timeout, finish timeout. Its kill mode stays runsv's (the process).
void apply_defaults(services::ServiceSpec& spec, const ServiceDefaults& defaults);

}  // namespace svinit::config
