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
// Only svinit's own lines go through here: its children write to the same stderr directly.
// That is why the fd's file description is never made non-blocking (they share it: a
// program that inherits a non-blocking stderr gets EAGAIN it does not expect). Instead,
// by what the fd is:
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

#include <spdlog/sinks/sink.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "core/event_loop.h"
#include "core/unique_fd.h"

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
    enum class Mode { Socket, Reopened, PollFirst, Plain };

    void open_output(int fd);
    void enqueue(std::string line);
    void pump();
    long write_some(const char* data, std::size_t size);
    void drop_all();
    void update_watch();

    std::unique_ptr<spdlog::formatter> formatter_;
    UniqueFd fd_;
    Mode mode_ = Mode::Plain;
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
