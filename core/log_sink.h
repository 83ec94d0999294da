#pragma once
// svinit's own log lines, written to its stderr without ever blocking PID 1.
//
// PID 1's stderr is usually a pipe to a log collector. A blocking write into a full pipe
// would stop everything -- reaping, svctl, signals -- for as long as the collector is
// stuck. So every write here is non-blocking; what cannot be written at once waits in a
// bounded queue that the event loop writes out when the fd is writable again; and when
// the queue is full, new lines are dropped and counted, and once the consumer has caught
// up one line says how many: "svinit: 1234 log lines dropped".
//
// Only svinit's own lines go through here: its children write to the same stderr directly,
// so the fd is written through a NonBlockingWriter (core/nonblocking_writer.h), which never
// makes the shared file description non-blocking.

#include <spdlog/sinks/sink.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "core/event_loop.h"
#include "core/nonblocking_writer.h"

namespace svinit::core {

class LogSink final : public spdlog::sinks::sink {
public:
    static constexpr std::size_t kDefaultLimit = 256 * 1024;

    // Writes to `fd` (svinit's stderr, normally), queueing at most `limit` bytes.
    explicit LogSink(int fd, std::size_t limit = kDefaultLimit);
    ~LogSink() override;
    LogSink(const LogSink&) = delete;
    LogSink& operator=(const LogSink&) = delete;

    // From now on, queued lines are written when the fd becomes writable. detach() (or
    // the loop going away) must come before the loop is destroyed.
    void attach(EventLoop& loop);
    void detach();

    // For the very end, when no loop runs any more: waits at most `limit` for the consumer
    // to take what is queued.
    void drain_for(Duration limit);

    std::size_t queued_bytes() const noexcept { return queued_bytes_; }
    std::size_t queued_lines() const noexcept { return lines_.size(); }
    // Lines dropped since the last "dropped" line went out.
    std::size_t dropped() const noexcept { return dropped_; }

    // spdlog::sinks::sink
    void log(const spdlog::details::log_msg& msg) override;
    void flush() override {}
    void set_pattern(const std::string& pattern) override;
    void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

private:
    void enqueue(std::string line);
    void pump();
    void drop_all();
    void update_watch();

    std::unique_ptr<spdlog::formatter> formatter_;
    NonBlockingWriter out_;
    std::size_t limit_;
    std::deque<std::string> lines_;
    std::size_t head_written_ = 0;  // of lines_.front(), already out
    std::size_t queued_bytes_ = 0;
    std::size_t dropped_ = 0;
    bool broken_ = false;  // the consumer is gone (EPIPE): nothing will be read again
    bool pumping_ = false;
    EventLoop* loop_ = nullptr;
    WatchHandle watch_;
};

}  // namespace svinit::core
