#pragma once
// The end-of-life sweep: signal every process svinit is responsible for.
// As PID 1 that is every process in the PID namespace (kill(-1)); on a host, where
// svinit is a child subreaper, it is svinit's descendants, found through /proc.

#include <sys/types.h>

#include <cstddef>
#include <vector>

#include "core/error.h"

namespace svinit::core {

// Sends sig to every process svinit may stop; returns how many were signalled
// (as PID 1, 1 when kill(-1) found any process, else 0).
Result<std::size_t> signal_everyone(int sig);

// The processes /proc shows, but svinit itself, zombies (which have exited already) and
// kernel threads, at most `limit` of them. As PID 1 that is every process of the namespace, whoever's
// child it is (docker exec and nsenter bring in processes svinit never started).
std::vector<pid_t> live_processes(std::size_t limit);

// The descendants of `root`, from one read of /proc (parents before children).
std::vector<pid_t> find_descendants(pid_t root);

}  // namespace svinit::core
