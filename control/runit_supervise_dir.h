#pragma once
// One runit supervise/ directory -- a service's, or its logger's log/supervise/ -- kept the
// way runsv keeps it, so that runit's own `sv` can read and command it:
//
//   lock      flock()ed for as long as svinit keeps the directory: a runsv started on the
//             same service fails to take it (and we refuse a directory a runsv holds);
//   control   a FIFO; each byte written to it is one command, read through the event loop;
//   ok        a FIFO held open for reading: sv opens it write-only and non-blocking, and
//             ENXIO ("no reader") is how it knows nobody supervises the service;
//   status    the 20-byte record (runit_status.h), stat and pid: written to NAME.new and
//             renamed, so a reader never sees half of one.
//
// A `supervise` symlink is followed (Debian links /etc/sv/NAME/supervise to
// /run/runit/supervise/NAME); a missing target is created. Nothing here blocks: every open
// is non-blocking and close-on-exec, the FIFOs never reach end-of-file because svinit holds
// the control FIFO open read-write (Linux defines O_RDWR on a FIFO; runsv keeps a second,
// write-only fd for the same purpose).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "control/runit_status.h"
#include "core/error.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"

namespace svinit::control {

// Bytes taken from the control FIFO per wakeup; the level-style watch fires again for more.
inline constexpr std::size_t kMaxControlBytesPerWakeup = 256;

class SuperviseDir {
public:
    using OnCommand = std::function<void(char byte)>;

    // Takes DIR/supervise: creates it and its FIFOs as needed, locks it, writes `first` as
    // the status, and only then opens `ok`, so sv never finds it supervised without a
    // status. on_command gets each byte written to `control`.
    static core::Result<std::unique_ptr<SuperviseDir>> open(core::EventLoop& loop,
                                                            const std::string& dir,
                                                            const RunitRecord& first,
                                                            OnCommand on_command);
    SuperviseDir(const SuperviseDir&) = delete;
    SuperviseDir& operator=(const SuperviseDir&) = delete;

    // Writes status and stat (and pid, when it changed) unless `record` says what the
    // files already say.
    core::Result<void> write(const RunitRecord& record);

    const std::string& path() const noexcept { return path_; }
    // The directory is being removed (rm -rf of the service): a file we hold or wrote is
    // gone. Sticky: write() writes nothing from then on, so rm's rmdir finds it empty.
    bool going();

private:
    SuperviseDir(std::string path, OnCommand on_command);
    core::Result<void> write_files(const RunitRecord& record);
    void on_control_readable();

    std::string path_;  // DIR/supervise as given (a symlink stays one)
    OnCommand on_command_;
    core::UniqueFd lock_;
    core::UniqueFd control_;
    core::UniqueFd ok_;
    core::WatchHandle watch_;
    std::optional<RunitRecord> written_;
    std::optional<std::uint32_t> pid_written_;
    bool status_written_ = false;
    bool going_ = false;
};

}  // namespace svinit::control
