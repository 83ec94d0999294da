#pragma once
// What services need to capture their output (services/output_capture.h): svinit's
// settings, its shared stdout queue and who hears every line. The Supervisor owns it.

#include <functional>
#include <memory>
#include <string_view>

#include "services/log_settings.h"
#include "services/service_spec.h"
#include "services/shared_output.h"

namespace svinit::services {

struct OutputContext {
    LogSettings settings;
    std::unique_ptr<SharedOutput> stdout_queue;  // for prefix and json
    std::function<void(std::string_view service, const LogLine& line)> on_line;

    // The service's own mode, else the default; inherit for a service with a runit
    // logger, which keeps its pipe to log/run.
    OutputMode mode_for(const ServiceSpec& spec) const {
        if (spec.log) return OutputMode::Inherit;
        return spec.output.value_or(settings.mode);
    }
};

}  // namespace svinit::services
