#pragma once
// Every signal svinit cares about arrives through one non-blocking signalfd: the
// signals are blocked in the process, so no asynchronous handler ever runs.

#include <signal.h>
#include <sys/signalfd.h>

#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace svinit::core {

// Signals that report a fault of the thread that got them. They are never blocked
// (a blocked fault signal kills the process anyway) and never forwarded.
bool is_synchronous_signal(int sig) noexcept;

// Every signal but SIGKILL, SIGSTOP and the synchronous ones.
sigset_t catchable_signals() noexcept;

class SignalFd {
public:
    // Blocks `signals` in the calling thread (before any other thread exists) and opens
    // a signalfd for them. The previous mask is kept for restoring in children.
    static Result<SignalFd> open(const sigset_t& signals);

    int fd() const noexcept { return fd_.get(); }

    // Reads every pending signal (until EAGAIN); at most `limit` per call so one
    // flood cannot starve the loop. The loop calls again while the fd stays readable.
    Result<std::vector<signalfd_siginfo>> read_pending(std::size_t limit = 64);

private:
    explicit SignalFd(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace svinit::core
