#pragma once
// Writes to an fd that svinit shares with its children (its stdout or stderr) without ever
// blocking, and without making the shared file description non-blocking (a program that
// inherits a non-blocking stdout gets EAGAIN it does not expect). By what the fd is:
//   socket    send(MSG_DONTWAIT | MSG_NOSIGNAL): non-blocking per call;
//   pipe, tty, other character device
//             reopened through /proc/self/fd/N with O_NONBLOCK: a description of our
//             own on the same pipe or device, which children never see;
//   regular file (or anything else)
//             written as it is: the kernel never waits for a reader there.
// Should the reopen fail (no /proc, or a FIFO with no reader yet), a write waits for poll()
// to say the fd is writable and writes at most PIPE_BUF bytes, which a pipe with room for
// one more page takes whole; a child writing between the poll and the write could still
// fill it, which only the reopen rules out.

#include <cstddef>

#include "core/unique_fd.h"

namespace svinit::core {

class NonBlockingWriter {
public:
    // A writer of its own onto `fd`; broken() when fd is not open.
    explicit NonBlockingWriter(int fd);

    // Like write(2): bytes written, or -1 with errno (EAGAIN: try when writable). A
    // reader that is gone is EPIPE, never a SIGPIPE seen by svinit's signalfd.
    long write_some(const char* data, std::size_t size);

    bool broken() const noexcept { return !fd_; }
    int fd() const noexcept { return fd_.get(); }

private:
    enum class Mode { Socket, Reopened, PollFirst, Plain };

    UniqueFd fd_;
    Mode mode_ = Mode::Plain;
};

}  // namespace svinit::core
