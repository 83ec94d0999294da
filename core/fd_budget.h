#pragma once
// Open files are PID 1's scarcest resource: every running child holds a pidfd, every
// logger a pipe, every control client a socket. Spawning needs one more for a moment
// (/dev/null for stdin), and svctl needs one to be heard. So part
// of the limit is kept back: a new service is refused, with a message saying why, when
// taking it would leave less than kReservedFds free. Restarts of the services already
// running, and one control client, then always find what they need.

#include <cstddef>

namespace svinit::core {

// For a restart (its pidfd and /dev/null, 2), one control client (its socket and what
// answering it may open, 2), and the files one more service may open beside its own
// (runit's supervise/ FIFOs and lock for it and its logger, 6), with room to spare.
inline constexpr std::size_t kReservedFds = 16;

// How many more fds, up to `up_to`, can be opened now. Found by opening them (duplicates
// of one /dev/null) and closing them again: exact whatever the holes in the fd table, and
// `up_to` system calls rather than a walk over every open fd. Ask once for a batch (a
// mass start asking per service would be quadratic).
std::size_t fds_free(std::size_t up_to);

// Whether `count` more fds can be opened now.
inline bool fds_available(std::size_t count) { return fds_free(count) == count; }

// The soft RLIMIT_NOFILE, for messages.
unsigned long fd_limit();

}  // namespace svinit::core
