#pragma once
// The kernel's inotify, owned: one non-blocking, close-on-exec fd, and a reader that
// turns the kernel's variable-length records into plain values.

#include <sys/inotify.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace svinit::core {

struct InotifyEvent {
    int wd = -1;  // the watch; -1 for IN_Q_OVERFLOW
    std::uint32_t mask = 0;
    std::uint32_t cookie = 0;  // pairs IN_MOVED_FROM with IN_MOVED_TO
    std::string name;          // the entry inside the watched directory; empty for itself

    // Events were lost: the only safe reaction is to rescan everything.
    bool overflow() const noexcept { return (mask & IN_Q_OVERFLOW) != 0; }

    bool operator==(const InotifyEvent&) const = default;
};

enum class ParseStatus {
    Complete,      // every record in the buffer was appended
    LimitReached,  // `out` reached the limit with records left over
    Malformed,     // a record runs past the end of the buffer (never from a real kernel)
};

// Appends the records in `bytes` (what one read() returned) to `out`, stopping when
// `out` holds `limit` events. Safe on any input: headers are copied out, never cast in
// place, and every length is checked against what is left.
ParseStatus parse_inotify_events(std::span<const std::byte> bytes, std::size_t limit,
                                 std::vector<InotifyEvent>& out);

class Inotify {
public:
    // inotify_init1(IN_NONBLOCK | IN_CLOEXEC).
    static Result<Inotify> open();

    int fd() const noexcept { return fd_.get(); }

    // inotify_add_watch: follows symlinks unless mask has IN_DONT_FOLLOW. Watching an
    // inode that is already watched returns the same wd and REPLACES its mask (unless
    // IN_MASK_ADD), so callers that watch one inode twice should use one mask.
    Result<int> add_watch(const std::filesystem::path& path, std::uint32_t mask);
    Result<void> remove_watch(int wd);

    // Reads until EAGAIN, returning at most `limit` (>= 1) events. When a read brought
    // more than fit, the last event returned is a synthetic IN_Q_OVERFLOW (wd -1), just
    // like the kernel's own when its queue overflows: events were dropped, rescan.
    // Whatever is still queued in the kernel comes with the next call.
    Result<std::vector<InotifyEvent>> read_events(std::size_t limit = 1024);

private:
    explicit Inotify(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace svinit::core
