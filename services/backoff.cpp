#include "services/backoff.h"

#include <algorithm>

namespace svinit::services {

Duration backoff_delay(unsigned failures, const BackoffPolicy& policy) noexcept {
    if (failures == 0 || policy.max <= Duration::zero()) return Duration::zero();
    if (policy.initial <= Duration::zero()) return Duration::zero();
    Duration delay = std::min(policy.initial, policy.max);
    // Doubling stops at max, so the loop runs at most ~64 times and d*2 cannot overflow.
    for (unsigned i = 1; i < failures && delay < policy.max; ++i) {
        delay = delay > policy.max / 2 ? policy.max : delay * 2;
    }
    return delay;
}

}  // namespace svinit::services
