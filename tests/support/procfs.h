#pragma once
// Small readers of /proc for the tests, on the host side of the PID namespace.

#include <sys/types.h>

#include <optional>
#include <vector>

namespace svinit::test {

class Process;

// The children of pid (from /proc/PID/task/PID/children); empty when it is gone.
std::vector<pid_t> children_of(pid_t pid);

// svinit's pid on the host: the only child of `unshare --fork`. nullopt until it exists.
std::optional<pid_t> svinit_host_pid(const Process& unshare);

// The state letter from /proc/PID/stat ('R', 'S', 'Z', ...).
std::optional<char> process_state(pid_t pid);

struct ContextSwitches {
    long long voluntary = 0;
    long long nonvoluntary = 0;
    long long total() const { return voluntary + nonvoluntary; }
};

// voluntary_ctxt_switches and nonvoluntary_ctxt_switches from /proc/PID/status (the main
// thread's, which is the thread that waits for events).
std::optional<ContextSwitches> context_switches(pid_t pid);

}  // namespace svinit::test
