#pragma once
// One client's socket and its two bounded buffers: the bytes read but not yet taken as
// lines, and the bytes queued but not yet written. No loop, no protocol: the server
// decides when to read, what a line means and when to give up.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/unique_fd.h"

namespace svinit::control {

class Connection {
public:
    explicit Connection(core::UniqueFd fd) : fd_(std::move(fd)) {}

    int fd() const noexcept { return fd_.get(); }

    enum class ReadStatus { Open, Full, Eof, Error };
    // Reads until the socket would block (Open), the peer stops sending (Eof), or `limit`
    // bytes are buffered; then Full if the socket holds more, Eof if the peer has stopped
    // sending, Open if neither (so a full buffer never hides a hang-up). Error leaves
    // errno set.
    ReadStatus read_available(std::size_t limit);

    // Takes the next complete line, without its '\n'.
    std::optional<std::string> next_line();
    // Takes whatever is left (an unterminated last line at EOF).
    std::string take_rest();
    // Bytes buffered and not yet taken.
    std::size_t input_size() const noexcept { return in_.size() - in_taken_; }

    // Queues one line; the '\n' is added here.
    void queue_line(std::string_view line);
    enum class FlushStatus { Done, Blocked, Error };
    // Writes queued bytes until done or the socket would block; never raises SIGPIPE.
    FlushStatus flush();
    std::size_t pending_output() const noexcept { return out_.size() - out_sent_; }
    // Forgets what is queued (the peer will never read it).
    void discard_output() noexcept {
        out_.clear();
        out_sent_ = 0;
    }
    std::uint64_t bytes_written() const noexcept { return bytes_written_; }

private:
    ReadStatus peek() const;

    core::UniqueFd fd_;
    std::string in_;
    std::size_t in_taken_ = 0;    // in_[0, in_taken_) was handed out as lines
    std::size_t in_scanned_ = 0;  // no '\n' in in_[in_taken_, in_scanned_)
    std::string out_;
    std::size_t out_sent_ = 0;
    std::uint64_t bytes_written_ = 0;
};

}  // namespace svinit::control
