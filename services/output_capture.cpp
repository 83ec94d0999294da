#include "services/output_capture.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "services/log_format.h"

namespace svinit::services {
namespace {

// A file gets the bytes as the service wrote them: a cut line's rest follows it on the
// same line.
void append_file_line(std::string& out, const LogLine& line) {
    out += line.text;
    if (!line.cut) out.push_back('\n');
}

}  // namespace

OutputCapture::OutputCapture(core::EventLoop& loop, std::string service, OutputMode mode,
                             const LogSettings& settings, SharedOutput* stdout_queue,
                             LineObserver on_line)
    : loop_(loop),
      service_(std::move(service)),
      mode_(mode),
      prefix_(settings.prefix),
      when_full_(settings.when_full),
      stdout_queue_(stdout_queue),
      ring_(settings.ring_bytes),
      on_line_(std::move(on_line)) {
    for (Stream& s : streams_) s.splitter = LineSplitter(settings.max_line);
    if (mode_ == OutputMode::File) {
        file_.emplace(settings.dir / (service_ + ".log"), settings.max_size, settings.keep);
    }
}

core::Result<std::unique_ptr<OutputCapture>> OutputCapture::create(
    core::EventLoop& loop, std::string service, OutputMode mode, const LogSettings& settings,
    SharedOutput* stdout_queue, LineObserver on_line) {
    std::unique_ptr<OutputCapture> capture(new OutputCapture(
        loop, std::move(service), mode, settings, stdout_queue, std::move(on_line)));
    if (auto opened = capture->open_stream(capture->streams_[0], LogStream::Stdout); !opened) {
        return std::unexpected(opened.error());
    }
    if (auto opened = capture->open_stream(capture->streams_[1], LogStream::Stderr); !opened) {
        return std::unexpected(opened.error());
    }
    capture->resume();
    return capture;
}

OutputCapture::~OutputCapture() {
    room_.reset();
    for (Stream& s : streams_) {
        s.watch.reset();
        s.write.reset();
        // Bounded by what a pipe holds: a last look at what the service wrote.
        for (int i = 0; i < 64 && read_once(s); ++i) {
        }
        s.splitter.finish([&](std::string_view text, bool cut, bool continued) {
            take_line(s, text, cut, continued);
        });
        flush_batch();
    }
}

core::Result<void> OutputCapture::open_stream(Stream& stream, LogStream which) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return core::sys_error("pipe for " + service_ + "'s " + std::string(to_string(which)));
    }
    stream.which = which;
    stream.read.reset(fds[0]);
    stream.write.reset(fds[1]);
    // The read end is ours alone: non-blocking on it is seen by no service.
    const int flags = ::fcntl(stream.read.get(), F_GETFL);
    if (flags < 0 || ::fcntl(stream.read.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
        return core::sys_error("fcntl O_NONBLOCK on " + service_ + "'s pipe");
    }
    return {};
}

// Stdout full and the policy is block: no reading until there is room.
bool OutputCapture::blocked() const {
    return stdout_queue_ != nullptr && when_full_ == FullPolicy::Block &&
           !stdout_queue_->has_room();
}

void OutputCapture::pause() {
    for (Stream& s : streams_) s.watch.reset();
    if (!room_) room_ = stdout_queue_->when_room([this] {
        room_.release();
        resume();
    });
}

void OutputCapture::resume() {
    for (Stream& s : streams_) {
        if (s.watch || !s.read) continue;
        auto watch = loop_.watch_readable(s.read.get(), [this, &s] { on_readable(s); });
        if (!watch) {
            spdlog::error("{}: cannot watch its output pipe: {}", service_,
                          watch.error().message());
            continue;
        }
        s.watch = std::move(*watch);
    }
}

void OutputCapture::on_readable(Stream& stream) {
    if (blocked()) {
        pause();
        return;
    }
    read_once(stream);  // the watch is level-style: more comes on the next turn
    if (blocked()) pause();
}

// One read of at most kCaptureReadBytes; false when nothing was there.
bool OutputCapture::read_once(Stream& stream) {
    char buffer[kCaptureReadBytes];
    const ssize_t n = ::read(stream.read.get(), buffer, sizeof buffer);
    if (n <= 0) return false;  // EAGAIN; EOF cannot happen while we hold the write end
    stream.splitter.feed(std::string_view(buffer, static_cast<std::size_t>(n)),
                         [&](std::string_view text, bool cut, bool continued) {
                             take_line(stream, text, cut, continued);
                         });
    flush_batch();
    return true;
}

void OutputCapture::take_line(Stream& stream, std::string_view text, bool cut, bool continued) {
    LogLine line{std::chrono::system_clock::now(), stream.which, std::string(text), cut,
                 continued};
    deliver(line);
    if (on_line_) on_line_(line);
    ring_.push(std::move(line));
}

void OutputCapture::deliver(const LogLine& line) {
    switch (mode_) {
        case OutputMode::Inherit:
            return;
        case OutputMode::File:
            append_file_line(batch_, line);
            return;
        case OutputMode::Prefix:
        case OutputMode::Json:
            break;
    }
    if (stdout_queue_ == nullptr) return;
    if (!stdout_queue_->has_room() && when_full_ == FullPolicy::Drop) {
        ++dropped_;
        ++dropped_unreported_;
        return;
    }
    if (dropped_unreported_ > 0) {
        spdlog::warn("{}: {} output lines dropped while stdout was full", service_,
                     std::exchange(dropped_unreported_, 0));
    }
    batch_ += mode_ == OutputMode::Json ? format_json(service_, line)
                                        : format_prefixed(service_, line, prefix_);
}

void OutputCapture::flush_batch() {
    if (batch_.empty()) return;
    if (mode_ == OutputMode::File) {
        auto written = file_->write(batch_);
        if (!written && !file_failed_) {
            spdlog::warn("{}: {}; its lines are kept for svctl logs only until a write works",
                         service_, written.error().message());
        }
        file_failed_ = !written;
    } else if (stdout_queue_ != nullptr) {
        stdout_queue_->write(batch_);
    }
    batch_.clear();
}

}  // namespace svinit::services
