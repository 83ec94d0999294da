#include "config/service_defaults.h"

namespace svinit::config {

void apply_defaults(services::ServiceSpec& spec, const ServiceDefaults& defaults) {
    spec.restart = defaults.restart;
    spec.stop.signal = defaults.stop.signal;
    spec.stop.timeout = defaults.stop.timeout;
    spec.finish_timeout = defaults.finish_timeout;
    for (const auto& [key, origin] : defaults.origins) {
        if (key != "stop.kill" && !key.starts_with("readiness.")) spec.origins.values[key] = origin;
    }
}

}  // namespace svinit::config
