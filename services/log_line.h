#pragma once
// Service output as lines: the pure parts of svinit's log capture (services/output_capture.h).
//
// A line is what a service wrote up to a '\n'. One longer than the bound is cut there and
// the rest goes on as a continuation, so no line holds memory beyond the bound, whatever a
// service writes; a partial last line is flushed at end-of-file. Bytes are kept as they are
// (binary output passes through): only the JSON encoding turns them into valid UTF-8.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace svinit::services {

// Longest line kept whole; longer ones are cut into pieces of this size.
inline constexpr std::size_t kDefaultMaxLineBytes = 16 * 1024;

enum class LogStream { Stdout, Stderr };
std::string_view to_string(LogStream stream) noexcept;  // "stdout", "stderr"

struct LogLine {
    std::chrono::system_clock::time_point time;
    LogStream stream = LogStream::Stdout;
    std::string text;        // without the '\n'
    bool cut = false;        // ended by the length bound, not by '\n': the next line goes on
    bool continued = false;  // the rest of a cut line
};

// Splits one stream's bytes into lines. Holds at most max_line bytes between calls.
class LineSplitter {
public:
    explicit LineSplitter(std::size_t max_line = kDefaultMaxLineBytes)
        : max_line_(max_line == 0 ? 1 : max_line) {}

    // Calls emit(std::string_view text, bool cut, bool continued) for every line `data`
    // completes, in order.
    template <class Emit>
    void feed(std::string_view data, Emit&& emit) {
        while (!data.empty()) {
            const std::size_t room = max_line_ - partial_.size();
            const std::size_t nl = data.substr(0, room).find('\n');
            if (nl != std::string_view::npos) {
                take(data.substr(0, nl), false, emit);
                data.remove_prefix(nl + 1);
            } else if (data.size() >= room) {
                take(data.substr(0, room), true, emit);
                data.remove_prefix(room);
            } else {
                partial_.append(data);
                return;
            }
        }
    }

    // End of file: a partial last line is a line.
    template <class Emit>
    void finish(Emit&& emit) {
        if (!partial_.empty()) take({}, false, emit);
        continuing_ = false;
    }

    std::size_t pending() const noexcept { return partial_.size(); }

private:
    template <class Emit>
    void take(std::string_view tail, bool cut, Emit& emit) {
        const bool continued = continuing_;
        if (partial_.empty()) {
            emit(tail, cut, continued);
        } else {
            partial_.append(tail);
            emit(std::string_view(partial_), cut, continued);
            partial_.clear();
        }
        continuing_ = cut;
    }

    std::size_t max_line_;
    std::string partial_;
    bool continuing_ = false;
};

}  // namespace svinit::services
