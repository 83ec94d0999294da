#pragma once
// One service's stdout and stderr, read by svinit through two pipes (prefix, json and file
// modes; docs/logging.md). svinit holds both ends of each pipe for the service's life, as
// it does a runit logger's, so run, finish and control scripts all write to them and a
// restart loses nothing.
//
// Read from the loop, at most kCaptureReadBytes per stream per wakeup, so a flooding
// service takes turns with everything else. Every line goes to the ring (svctl logs), to
// `on_line` (svctl logs -f), and to its destination: svinit's stdout (SharedOutput) or the
// service's rotated file. While the stdout queue is full, the pipes are not read (the
// service's writes block: backpressure) or, with the drop policy, lines read are counted
// and thrown away.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"
#include "services/log_file.h"
#include "services/log_line.h"
#include "services/log_ring.h"
#include "services/log_settings.h"
#include "services/shared_output.h"

namespace svinit::services {

inline constexpr std::size_t kCaptureReadBytes = 16 * 1024;

class OutputCapture {
public:
    using LineObserver = std::function<void(const LogLine& line)>;

    // `stdout_queue` is needed for prefix and json; `on_line` sees every line.
    static core::Result<std::unique_ptr<OutputCapture>> create(core::EventLoop& loop,
                                                               std::string service,
                                                               OutputMode mode,
                                                               const LogSettings& settings,
                                                               SharedOutput* stdout_queue,
                                                               LineObserver on_line);
    // Reads what the pipes still hold (without waiting) and flushes partial lines.
    ~OutputCapture();
    OutputCapture(const OutputCapture&) = delete;
    OutputCapture& operator=(const OutputCapture&) = delete;

    // The write ends the service's programs get as stdout and stderr.
    const core::UniqueFd& stdout_fd() const noexcept { return streams_[0].write; }
    const core::UniqueFd& stderr_fd() const noexcept { return streams_[1].write; }

    std::vector<LogLine> last(std::size_t n) const { return ring_.last(n); }
    std::uint64_t dropped() const noexcept { return dropped_; }
    OutputMode mode() const noexcept { return mode_; }
    // Whether lines svinit's stdout cannot take are dropped (and counted in dropped()).
    bool drops_when_full() const noexcept {
        return when_full_ == FullPolicy::Drop && mode_ != OutputMode::File;
    }

private:
    struct Stream {
        LogStream which = LogStream::Stdout;
        core::UniqueFd read;
        core::UniqueFd write;
        LineSplitter splitter;
        core::WatchHandle watch;
    };

    OutputCapture(core::EventLoop& loop, std::string service, OutputMode mode,
                  const LogSettings& settings, SharedOutput* stdout_queue, LineObserver on_line);
    core::Result<void> open_stream(Stream& stream, LogStream which);
    void on_readable(Stream& stream);
    bool read_once(Stream& stream);
    void take_line(Stream& stream, std::string_view text, bool cut, bool continued);
    void deliver(const LogLine& line);
    void flush_batch();
    void pause();
    void resume();
    bool blocked() const;

    core::EventLoop& loop_;
    std::string service_;
    OutputMode mode_;
    PrefixFormat prefix_;
    FullPolicy when_full_;
    SharedOutput* stdout_queue_;
    std::optional<RotatingFile> file_;
    bool file_failed_ = false;  // one warning per failure, not per line
    // The formatted lines of one read, written with one system call rather than one per
    // line (at most what kCaptureReadBytes of input become).
    std::string batch_;
    LogRing ring_;
    LineObserver on_line_;
    std::uint64_t dropped_ = 0;
    std::uint64_t dropped_unreported_ = 0;
    Stream streams_[2];
    // Last, so it is gone before what its callback reaches.
    SharedOutput::RoomHandle room_;
};

}  // namespace svinit::services
