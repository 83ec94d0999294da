#include "services/service_counts.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace svinit::services {

void add_to(ServiceCounts& counts, const ServiceStatus& status) {
    switch (status.main.state) {
        case State::Run:
            ++counts.up;
            break;
        case State::Starting:
            ++counts.starting;
            break;
        case State::Backoff:
            ++counts.backing_off;
            break;
        case State::Stopping:
        case State::Finish:
            ++counts.stopping;
            break;
        case State::Down:
            ++counts.down;
            break;
        case State::Failed:
            ++counts.failed;
            break;
    }
    if (!as_wanted(status.main) || (status.log && !as_wanted(*status.log))) {
        counts.all_as_wanted = false;
    }
}

ServiceCounts count_services(const SupervisorApi& api) {
    ServiceCounts counts;
    for (const auto& name : api.service_names()) {
        if (auto status = api.status(name)) add_to(counts, *status);
    }
    return counts;
}

std::string describe(const ServiceCounts& counts) {
    const std::array<std::pair<std::size_t, std::string_view>, 6> parts{{
        {counts.up, "up"},
        {counts.starting, "starting"},
        {counts.backing_off, "backing off"},
        {counts.stopping, "stopping"},
        {counts.down, "down"},
        {counts.failed, "failed"},
    }};
    std::string out;
    for (const auto& [count, what] : parts) {
        if (count == 0) continue;
        if (!out.empty()) out += ", ";
        out += fmt::format("{} {}", count, what);
    }
    return out.empty() ? "no services" : out;
}

}  // namespace svinit::services
