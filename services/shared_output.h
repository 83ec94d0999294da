#pragma once
// svinit's stdout as the services in prefix and json mode share it: one bounded queue of
// whole lines, written from the loop without ever blocking (core/nonblocking_writer.h).
//
// Lines are queued whole, so two services never interleave within a line. When the queue
// holds `limit` bytes or more, has_room() is false: captures stop reading (or drop, as
// configured) and ask to be called back when the consumer has taken half of it. A capture
// checks has_room() before each read of at most kCaptureReadBytes, so the queue never holds
// more than the limit plus one read's lines per stream.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/event_loop.h"
#include "core/nonblocking_writer.h"
#include "core/registration.h"

namespace svinit::services {

enum class RoomId : std::uint64_t {};

class SharedOutput {
public:
    SharedOutput(core::EventLoop& loop, int fd, std::size_t limit);
    // Gives the consumer at most a second more for what is queued (svinit is exiting).
    ~SharedOutput();
    SharedOutput(const SharedOutput&) = delete;
    SharedOutput& operator=(const SharedOutput&) = delete;

    // A reader that is gone (EPIPE) has room for ever: what is written is thrown away,
    // so services never block on a consumer that will never read.
    bool has_room() const noexcept { return broken_ || queued() < limit_; }
    void write(std::string_view lines);

    void cancel_room(RoomId id) { waiting_.erase(static_cast<std::uint64_t>(id)); }
    using RoomHandle = core::Registration<SharedOutput, RoomId, &SharedOutput::cancel_room>;
    // Calls cb once, when the queue has drained to half the limit.
    RoomHandle when_room(core::Callback cb);

    std::size_t queued() const noexcept { return buffer_.size() - sent_; }

private:
    void pump();
    void update_watch();

    core::EventLoop& loop_;
    core::NonBlockingWriter out_;
    std::size_t limit_;
    std::string buffer_;
    std::size_t sent_ = 0;  // of buffer_, written
    bool broken_ = false;
    std::map<std::uint64_t, core::Callback> waiting_;
    std::uint64_t next_id_ = 1;
    core::WatchHandle watch_;  // only while something is queued
};

}  // namespace svinit::services
