#include "services/backoff.h"

#include <algorithm>
#include <cmath>

namespace svinit::services {

Duration backoff_delay(unsigned failures, const BackoffPolicy& policy) noexcept {
    if (failures == 0 || policy.max <= Duration::zero()) return Duration::zero();
    if (policy.initial <= Duration::zero()) return Duration::zero();
    Duration delay = std::min(policy.initial, policy.max);
    const double factor = std::max(policy.factor, 1.0);
    if (factor == 1.0 || delay >= policy.max) return delay;
    // In closed form (pow in double, which saturates to inf rather than overflow), so the
    // cost does not depend on the number of failures.
    const double grown = static_cast<double>(delay.count()) *
                         std::pow(factor, static_cast<double>(failures - 1));
    if (!(grown < static_cast<double>(policy.max.count()))) return policy.max;
    delay = Duration(static_cast<Duration::rep>(grown));
    return delay;
}

}  // namespace svinit::services
