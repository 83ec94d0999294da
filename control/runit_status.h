#pragma once
// runit's supervise/ formats, as pure functions: the 20-byte `status` record that runit's
// `sv` reads, the `stat` and `pid` texts, and the command bytes written to `control`.
// runit_supervise.h puts them on disk and reads the FIFO.
//
// status, as runsv writes it (update_status() in runsv.c):
//   bytes  0..7   TAI64 seconds of the last state change, big-endian: 2^62 + 10 + Unix time
//   bytes  8..11  nanoseconds, big-endian (TAI64N)
//   bytes 12..15  pid, little-endian (0 when no process)
//   byte  16      1 when paused
//   byte  17      want: 'u' up, 'd' down (runsv's `once` is want down)
//   byte  18      1 when run got TERM and has not exited yet
//   byte  19      state: 0 down, 1 run, 2 finish

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "services/supervisor_api.h"

namespace svinit::control {

inline constexpr std::size_t kRunitStatusSize = 20;
using RunitStatusBytes = std::array<unsigned char, kRunitStatusSize>;

enum class RunitState : std::uint8_t { Down = 0, Run = 1, Finish = 2 };

// What runsv knows of one program, in its own terms.
struct RunitRecord {
    std::chrono::system_clock::time_point since;  // last state change
    std::uint32_t pid = 0;
    bool paused = false;
    bool want_up = false;
    bool got_term = false;
    RunitState state = RunitState::Down;

    bool operator==(const RunitRecord&) const = default;
};

// svinit's seven states in runit's three: starting and stopping are run (with their pid);
// backoff and failed are down (no process; want up says it will come back or was meant to).
RunitRecord runit_record(const services::ProcessStatus& status);

// The 20 bytes of supervise/status.
RunitStatusBytes encode_status(const RunitRecord& record);

// supervise/stat: "run", "down" or "finish", then ", paused", ", got TERM", and (unless
// down) ", want down"; one line.
std::string stat_text(const RunitRecord& record);

// supervise/pid: the pid and a newline, or nothing when there is no process.
std::string pid_text(std::uint32_t pid);

// The command one byte on supervise/control stands for, given the service's run as it is
// now; nullopt for bytes runsv ignores. `x` (exit runsv) is down: svinit has no per-service
// supervisor to end. `t` to a run that is wanted up is a restart, which is what runsv's
// TERM then means: the state shows "got TERM" until run exits, and run is started again at
// once rather than after a backoff, as a crash would be (svinit, unlike runsv, also sends
// KILL after the stop timeout). Otherwise `t` is a plain TERM.
std::optional<services::Command> runit_command(char byte, const services::ProcessStatus& run);

}  // namespace svinit::control
