#include "core/log_sink.h"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/pattern_formatter.h>

#include <cerrno>
#include <string>

namespace svinit::core {

LogSink::LogSink(int fd, std::size_t limit)
    : formatter_(std::make_unique<spdlog::pattern_formatter>()), out_(fd), limit_(limit) {
    broken_ = out_.broken();  // no stderr at all: every line is dropped
}

LogSink::~LogSink() = default;

void LogSink::set_pattern(const std::string& pattern) {
    formatter_ = std::make_unique<spdlog::pattern_formatter>(pattern);
}

void LogSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
    formatter_ = std::move(formatter);
}

void LogSink::log(const spdlog::details::log_msg& msg) {
    if (!should_log(msg.level)) return;
    spdlog::memory_buf_t text;
    formatter_->format(msg, text);
    enqueue(std::string(text.data(), text.size()));
    pump();
}

void LogSink::enqueue(std::string line) {
    if (broken_ || queued_bytes_ + line.size() > limit_) {
        ++dropped_;
        return;
    }
    queued_bytes_ += line.size();
    lines_.push_back(std::move(line));
}

// Writes what the consumer takes now; once it has taken everything, says how many lines
// were dropped, if any.
void LogSink::pump() {
    if (pumping_) return;
    pumping_ = true;
    while (!lines_.empty() && !broken_) {
        const std::string& head = lines_.front();
        long n = out_.write_some(head.data() + head_written_, head.size() - head_written_);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
            drop_all();  // EPIPE and the like: no one will read again
            break;
        }
        head_written_ += static_cast<std::size_t>(n);
        if (head_written_ < head.size()) continue;
        queued_bytes_ -= head.size();
        lines_.pop_front();
        head_written_ = 0;
        if (lines_.empty() && dropped_ > 0) {
            auto text = fmt::format("{} log lines dropped", std::exchange(dropped_, 0));
            spdlog::details::log_msg msg("svinit", spdlog::level::info, text);
            spdlog::memory_buf_t line;
            formatter_->format(msg, line);
            queued_bytes_ += line.size();
            lines_.emplace_back(line.data(), line.size());
        }
    }
    pumping_ = false;
    update_watch();
}

void LogSink::drop_all() {
    broken_ = true;
    dropped_ += lines_.size();
    lines_.clear();
    queued_bytes_ = 0;
    head_written_ = 0;
}

void LogSink::attach(EventLoop& loop) {
    loop_ = &loop;
    pump();
}

void LogSink::detach() {
    watch_.reset();
    loop_ = nullptr;
}

// A writable watch exists only while something waits to be written.
void LogSink::update_watch() {
    if (lines_.empty() || loop_ == nullptr) {
        watch_.reset();
        return;
    }
    if (watch_) return;
    if (auto watch = loop_->watch_writable(out_.fd(), [this] { pump(); })) {
        watch_ = std::move(*watch);
    }
    // Without a watch the queue is still written by the next line's pump().
}

void LogSink::drain_for(Duration limit) {
    const auto deadline = SteadyClock::now() + limit;
    pump();
    while (!lines_.empty() && !broken_) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0) break;
        pollfd p{out_.fd(), POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        pump();
    }
}

}  // namespace svinit::core
