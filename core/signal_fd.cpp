#include "core/signal_fd.h"

#include <sys/signalfd.h>

#include <array>

namespace svinit::core {

bool is_synchronous_signal(int sig) noexcept {
    switch (sig) {
        case SIGSEGV:
        case SIGBUS:
        case SIGILL:
        case SIGFPE:
        case SIGABRT:
        case SIGTRAP:
        case SIGSYS:
            return true;
        default:
            return false;
    }
}

sigset_t catchable_signals() noexcept {
    sigset_t set;
    sigfillset(&set);
    for (int sig = 1; sig < NSIG; ++sig) {
        if (is_synchronous_signal(sig)) sigdelset(&set, sig);
    }
    sigdelset(&set, SIGKILL);
    sigdelset(&set, SIGSTOP);
    return set;
}

Result<SignalFd> SignalFd::open(const sigset_t& signals) {
    if (sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) return sys_error("sigprocmask");
    int fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) return sys_error("signalfd");
    return SignalFd(UniqueFd(fd));
}

Result<std::vector<signalfd_siginfo>> SignalFd::read_pending(std::size_t limit) {
    std::vector<signalfd_siginfo> out;
    std::array<signalfd_siginfo, 16> batch{};
    while (out.size() < limit) {
        ssize_t n = ::read(fd_.get(), batch.data(), sizeof(batch));
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            return sys_error("read signalfd");
        }
        auto count = static_cast<std::size_t>(n) / sizeof(signalfd_siginfo);
        out.insert(out.end(), batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(count));
        if (count < batch.size()) break;
    }
    return out;
}

}  // namespace svinit::core
