#include "core/exit_status.h"

#include <cstring>

#include <fmt/format.h>

namespace svinit::core {

ExitStatus decode_exit(const siginfo_t& info) noexcept {
    switch (info.si_code) {
        case CLD_KILLED:
            return ExitStatus::signaled(info.si_status);
        case CLD_DUMPED:
            return ExitStatus::signaled(info.si_status, true);
        default:  // CLD_EXITED; waitid(WEXITED) reports nothing else
            return ExitStatus::exited(info.si_status);
    }
}

std::string ExitStatus::describe() const {
    if (kind == Kind::Exited) return fmt::format("status {}", value);
    return fmt::format("signal {} ({}{})", value, ::strsignal(value),
                       core_dumped ? ", core dumped" : "");
}

}  // namespace svinit::core
