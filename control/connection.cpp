#include "control/connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace svinit::control {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

}  // namespace

Connection::ReadStatus Connection::read_available(std::size_t limit) {
    // Drop what was taken, so the buffer holds at most `limit` bytes plus nothing stale.
    if (in_taken_ > 0) {
        in_.erase(0, in_taken_);
        in_scanned_ -= in_taken_;
        in_taken_ = 0;
    }
    while (in_.size() < limit) {
        const std::size_t old_size = in_.size();
        const std::size_t want = std::min(kReadChunk, limit - old_size);
        in_.resize(old_size + want);
        const ssize_t n = ::read(fd_.get(), in_.data() + old_size, want);
        in_.resize(old_size + (n > 0 ? static_cast<std::size_t>(n) : 0));
        if (n > 0) continue;
        if (n == 0) return ReadStatus::Eof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadStatus::Open;
        return ReadStatus::Error;
    }
    return peek();
}

// The buffer is full: is there more behind it, or the end? One byte is looked at, not taken.
Connection::ReadStatus Connection::peek() const {
    for (;;) {
        char byte = 0;
        const ssize_t n = ::recv(fd_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) return ReadStatus::Full;
        if (n == 0) return ReadStatus::Eof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadStatus::Open;
        return ReadStatus::Error;
    }
}

std::optional<std::string> Connection::next_line() {
    const std::size_t nl = in_.find('\n', std::max(in_scanned_, in_taken_));
    if (nl == std::string::npos) {
        in_scanned_ = in_.size();
        return std::nullopt;
    }
    std::string line = in_.substr(in_taken_, nl - in_taken_);
    in_taken_ = nl + 1;
    in_scanned_ = in_taken_;
    return line;
}

std::string Connection::take_rest() {
    std::string rest = in_.substr(in_taken_);
    in_taken_ = in_.size();
    in_scanned_ = in_taken_;
    return rest;
}

void Connection::queue_line(std::string_view line) {
    // Drop what was sent once it is most of the buffer, so copying stays linear.
    if (out_sent_ > 0 && out_sent_ >= out_.size() / 2) {
        out_.erase(0, out_sent_);
        out_sent_ = 0;
    }
    out_.append(line);
    out_.push_back('\n');
}

Connection::FlushStatus Connection::flush() {
    while (out_sent_ < out_.size()) {
        const ssize_t n = ::send(fd_.get(), out_.data() + out_sent_, out_.size() - out_sent_,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            out_sent_ += static_cast<std::size_t>(n);
            bytes_written_ += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return FlushStatus::Blocked;
        return FlushStatus::Error;
    }
    out_.clear();
    out_sent_ = 0;
    return FlushStatus::Done;
}

}  // namespace svinit::control
