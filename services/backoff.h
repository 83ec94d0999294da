#pragma once
// Restart backoff: how long to wait after a run of quick failures. Pure arithmetic.

#include <chrono>

namespace svinit::services {

using Duration = std::chrono::steady_clock::duration;

struct BackoffPolicy {
    Duration initial = std::chrono::milliseconds(100);  // delay after the first quick failure
    Duration max = std::chrono::seconds(30);            // the delay never grows past this
    double factor = 2.0;  // the delay grows by this per quick failure (at least 1)
};

// The delay before the next spawn after `failures` consecutive quick failures:
// initial, factor*initial, factor²*initial, … capped at max. Zero failures means no delay.
// Never overflows, whatever the policy holds.
Duration backoff_delay(unsigned failures, const BackoffPolicy& policy) noexcept;

}  // namespace svinit::services
