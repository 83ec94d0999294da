#pragma once
// The end-of-life sweep: signal every process svinit is responsible for.
// As PID 1 that is every process in the PID namespace (kill(-1)); on a host, where
// svinit is a child subreaper, it is svinit's descendants, found through /proc.

#include <sys/types.h>

#include <vector>

#include "core/error.h"

namespace svinit::core {

// Sends sig to every process svinit may stop; returns how many were signalled
// (as PID 1, 1 when kill(-1) found any process, else 0).
Result<std::size_t> signal_everyone(int sig);

// The descendants of `root`, from one read of /proc (parents before children).
std::vector<pid_t> find_descendants(pid_t root);

}  // namespace svinit::core
