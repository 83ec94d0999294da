#pragma once
// pidfd system calls. glibc 2.36 (Debian 12) declares them in <sys/pidfd.h> without
// extern "C", so C++ cannot link against them; call the kernel directly instead.

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace svinit::core {

inline int pidfd_open(pid_t pid) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
}

inline int pidfd_send_signal(int pidfd, int sig) noexcept {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0U));
}

}  // namespace svinit::core
