#include "core/log_sink.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/pattern_formatter.h>
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

LogSink::LogSink(int fd, std::size_t limit)
    : formatter_(std::make_unique<spdlog::pattern_formatter>()), limit_(limit) {
    open_output(fd);
}

LogSink::~LogSink() = default;

void LogSink::open_output(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        broken_ = true;  // no stderr at all: every line is dropped
        return;
    }
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
    if (!fd_) broken_ = true;
}

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
        long n = write_some(head.data() + head_written_, head.size() - head_written_);
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

long LogSink::write_some(const char* data, std::size_t size) {
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
    if (auto watch = loop_->watch_writable(fd_.get(), [this] { pump(); })) {
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
        pollfd p{fd_.get(), POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        pump();
    }
}

}  // namespace svinit::core
