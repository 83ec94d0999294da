#pragma once
// The supervised set in one line, for a service manager's status ("12 up, 1 backing off")
// and for knowing when everything that should be up is.

#include <cstddef>
#include <string>

#include "services/supervisor_api.h"

namespace svinit::services {

// Services counted by their run program's state; loggers count only in all_as_wanted.
struct ServiceCounts {
    std::size_t up = 0;           // run (ready, where readiness is configured)
    std::size_t starting = 0;     // started, not ready yet
    std::size_t backing_off = 0;  // waiting to restart
    std::size_t stopping = 0;     // told to stop, or its finish script runs
    std::size_t down = 0;
    std::size_t failed = 0;  // given up on
    // Every service and logger where its want says (as_wanted): the normally-up ones up
    // and ready. True for no services.
    bool all_as_wanted = true;

    bool operator==(const ServiceCounts&) const = default;
};

void add_to(ServiceCounts& counts, const ServiceStatus& status);
ServiceCounts count_services(const SupervisorApi& api);

// "12 up, 1 backing off": the non-zero counts in a fixed order; "no services" for none.
std::string describe(const ServiceCounts& counts);

}  // namespace svinit::services
