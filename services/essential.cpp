#include "services/essential.h"

#include <cerrno>

#include "core/exit_codes.h"

namespace svinit::services {

std::optional<int> essential_exit_code(const ServiceState& state) noexcept {
    if (state.state != State::Failed) return std::nullopt;
    switch (state.fail_reason) {
        case FailReason::StartLimit:
        case FailReason::NoRestart:
        case FailReason::FinishSaidNoRestart:
            break;
        case FailReason::None:
        case FailReason::ExitedQuickly:
        case FailReason::SpawnFailed:
        case FailReason::NotReady:
        case FailReason::Unhealthy:
            return std::nullopt;
    }
    // The last attempt never ran: the status left behind is an older run's.
    if (state.last_run == Duration::zero() && state.spawn_error != 0) {
        if (state.spawn_error == ENOENT) return exit_code::kNotFound;
        if (state.spawn_error == EACCES) return exit_code::kCannotExecute;
        return 1;
    }
    if (!state.last_exit) return 1;
    const int code = state.last_exit->shell_code();
    return code == 0 ? 1 : code;
}

}  // namespace svinit::services
