#include "core/nonblocking_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace svinit::core {
namespace {

// A write to a pipe whose reader is gone raises SIGPIPE, which would kill a process that
// has not blocked it yet, and which svinit's signalfd would otherwise take for a signal to
// pass on to the main command. Blocked for the write; one raised by it is taken back.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;
    ~SigpipeGuard() {
        if (raised_) {
            // Ours is pending for this thread, and is taken before one sent to the process.
            const timespec zero{};
            while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
            }
        }
        if (!sigismember(&old_, SIGPIPE)) ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    void raised() { raised_ = true; }

private:
    sigset_t pipe_{};
    sigset_t old_{};
    bool raised_ = false;
};

}  // namespace

NonBlockingWriter::NonBlockingWriter(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return;
    if (S_ISSOCK(st.st_mode)) {
        mode_ = Mode::Socket;
        fd_.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        // A description of our own: O_NONBLOCK on it is not seen by children.
        const std::string path = fmt::format("/proc/self/fd/{}", fd);
        fd_.reset(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
        mode_ = Mode::Reopened;
        if (!fd_) {
            fd_.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
            mode_ = Mode::PollFirst;
        }
    } else {
        mode_ = Mode::Plain;
        fd_.reset(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
    }
}

long NonBlockingWriter::write_some(const char* data, std::size_t size) {
    switch (mode_) {
        case Mode::Socket:
            return ::send(fd_.get(), data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        case Mode::PollFirst: {
            pollfd p{fd_.get(), POLLOUT, 0};
            const int ready = ::poll(&p, 1, 0);
            if (ready < 0) return -1;
            if (ready == 0) {
                errno = EAGAIN;
                return -1;
            }
            size = std::min<std::size_t>(size, PIPE_BUF);  // writable: a page is free
            break;
        }
        case Mode::Reopened:
        case Mode::Plain:
            break;
    }
    SigpipeGuard guard;
    ssize_t n = ::write(fd_.get(), data, size);
    if (n < 0 && errno == EPIPE) guard.raised();
    return static_cast<long>(n);
}

}  // namespace svinit::core
