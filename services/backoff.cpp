#include "services/backoff.h"

#include <algorithm>

namespace svinit::services {

Duration backoff_delay(unsigned failures, const BackoffPolicy& policy) noexcept {
    if (failures == 0 || policy.max <= Duration::zero()) return Duration::zero();
    if (policy.initial <= Duration::zero()) return Duration::zero();
    Duration delay = std::min(policy.initial, policy.max);
    const double factor = std::max(policy.factor, 1.0);
    if (factor == 1.0) return delay;
    // Growing stops at max, and a factor above 1 reaches it within ~64 steps for any
    // delay of at least 1ns; the product is taken in double, so it cannot overflow.
    const double max = static_cast<double>(policy.max.count());
    for (unsigned i = 1; i < failures && delay < policy.max; ++i) {
        const double next = static_cast<double>(delay.count()) * factor;
        delay = next >= max ? policy.max : Duration(static_cast<Duration::rep>(next));
    }
    return delay;
}

}  // namespace svinit::services
