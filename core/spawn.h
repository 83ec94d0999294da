#pragma once
// Starting a child: clone3(CLONE_PIDFD) so the child is known by a pidfd from the
// first instant (fork + pidfd_open where clone3 is refused, e.g. by a seccomp profile).
// Everything the child needs (argv, envp) is built before the clone; after it the
// child does only async-signal-safe work. A child that fails before exec writes
// {pid, stage, errno, detail} to a close-on-exec pipe (SpawnReports), so the parent can
// say which step failed. The sandbox's spawn path (sandbox/) reports through the same pipe.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace svinit::core {

// Who the child runs as; ids resolved before the spawn (core/credentials.h).
struct SpawnCredentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary groups, set as they are
};

struct SpawnLimit {
    int resource = 0;  // RLIMIT_NOFILE, ...
    unsigned long soft = 0;
    unsigned long hard = 0;
};

// An fd the child gets at a fixed number (s6's notification-fd): `source` is svinit's,
// close-on-exec as every fd of ours; the child has it at `target` (>= 3), open across exec.
struct PassFd {
    int source = -1;
    int target = -1;
};

struct SpawnOptions {
    std::string path;                              // executable, already resolved
    std::vector<std::string> argv;                 // argv[0] included
    std::optional<std::vector<std::string>> env;   // "NAME=VALUE"; nullopt inherits ours
    std::string cwd;                               // empty: inherit
    int stdin_fd = -1;                             // -1: inherit ours
    int stdout_fd = -1;
    int stderr_fd = -1;
    bool new_process_group = true;
    int foreground_tty = -1;  // make the child's group the foreground group of this tty
    std::vector<SpawnLimit> limits;  // set after the fd limit svinit gives back
    std::optional<mode_t> umask;
    std::optional<SpawnCredentials> credentials;  // last before exec
    std::vector<PassFd> pass_fds;                 // after stdio
};

enum class SpawnStage : int {
    ProcessGroup = 1,
    Directory,
    Stdio,
    Signals,
    Exec,
    Limits,
    Credentials,
    Sandbox
};

struct SpawnFailure {
    SpawnStage stage;
    int error;           // errno
    std::string detail{};  // Sandbox: the step, "pivot_root(/srv/web/root)"

    // "exec: No such file or directory",
    // "sandbox setup failed at pivot_root(/srv/web/root): Invalid argument"
    std::string describe() const;
    // 127 when the program is missing, 126 when it exists but cannot run, 125 when a
    // sandbox could not be set up.
    int exit_code() const noexcept;
};

// The child's side of a report: one atomic write to `report_fd` (SpawnReports::write_fd),
// `detail` cut to fit. `pid` is the child as svinit knows it, which a sandbox's init in
// its own PID namespace cannot learn from getpid(). Async-signal-safe.
void write_spawn_failure(int report_fd, pid_t pid, SpawnStage stage, int error,
                         const char* detail = nullptr) noexcept;

// Where children that fail before exec say why: one pipe for all of them, whose write end
// each child holds, close-on-exec, until its exec. A child writes its record before it
// exits, so once its exit is seen the record is in the pipe already. One pipe per child
// instead would cost every running child a second fd until it exits (halving how many
// services fit under the fd limit), and a burst of spawns would hold them all at once.
class SpawnReports {
public:
    // Opens the pipe; until then (or when that failed) spawn() refuses to start children.
    Result<void> open();
    bool is_open() const noexcept { return read_.valid(); }

    // Reads every record waiting (never blocks). Call it after a child's exit is seen
    // and before take().
    void collect();
    // The failure of the child `pid`, once: nullopt means it reached exec. Call for every
    // child reaped, so no record outlives its child (a later child may get the pid).
    std::optional<SpawnFailure> take(pid_t pid);

    int write_fd() const noexcept { return write_.get(); }

private:
    UniqueFd read_;
    UniqueFd write_;
    // One entry per failed child not reaped yet: bounded by the number of children.
    std::unordered_map<pid_t, SpawnFailure> failures_;
};

struct Child {
    pid_t pid = 0;
    UniqueFd pidfd;
};

// Starts a child; should it fail before exec, its record goes to `reports`.
Result<Child> spawn(const SpawnOptions& options, const SpawnReports& reports);

// A supervisor holds several fds per service (pidfds, log pipes, runit's supervise/ FIFOs),
// so svinit raises its own soft RLIMIT_NOFILE to the hard limit, as systemd does. Children
// still start with the soft limit svinit was given (programs using select() need it below
// 1024). Returns the new soft limit; call once, before the first spawn.
Result<unsigned long> raise_fd_limit();

// Finds `name` the way execvp would, in the directories of `path_env` (PATH), without
// ever running a shell. Names with a '/' are taken as they are. Errors: ENOENT when
// nothing is found, EACCES when only non-executable files are.
Result<std::string> resolve_command(std::string_view name, std::string_view path_env);

}  // namespace svinit::core
