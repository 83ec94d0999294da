#pragma once
// A child process for integration tests: started in its own process group with stdout and
// stderr captured through pipes, read line by line with timeouts, waited for with a hang
// guard, and killed (with its whole process group and its direct children) by the destructor,
// so a failed assertion never leaks processes.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/unique_fd.h"

namespace svinit::test {

using core::UniqueFd;  // header-only: the tests need not link the core library

using Millis = std::chrono::milliseconds;

// A wait() status as a shell reports it: the exit code, or 128 + N when killed by signal N.
int decode_wait_status(int status);

struct SpawnOptions {
    bool stdin_dev_null = true;  // otherwise stdin is inherited
    std::string cwd;             // empty: the test's own
    // false: stderr is a one-page pipe the Process never reads (a stuck log collector);
    // the test reads it through unread_stderr() when it chooses to.
    bool read_stderr = true;
};

class Process {
public:
    // Starts argv (argv[0] searched in PATH). FAILs the test when it cannot be started.
    static Process spawn(const std::vector<std::string>& argv, const SpawnOptions& options = {});

    Process(Process&& other) noexcept;
    Process& operator=(Process&&) = delete;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    pid_t pid() const { return pid_; }

    // The next line of stdout without its '\n'; nullopt at EOF or when timeout passes first.
    std::optional<std::string> read_line(Millis timeout);
    // Everything stdout holds now (waiting for at least one byte): for output too large to
    // take a line at a time. nullopt when the timeout passes or stdout has ended.
    std::optional<std::string> read_some(Millis timeout);

    // Waits for the process to exit and returns decode_wait_status(), then reads its pipes
    // to EOF. A hang guard: after timeout it kills everything and FAILs the test.
    int wait(Millis timeout);

    // Everything the process wrote to stderr so far (what is ready now is read first).
    const std::string& stderr_text();

    // The read end of stderr when SpawnOptions::read_stderr was false (else -1).
    int unread_stderr() const { return unread_err_.get(); }

    // Kills the process group and the direct children with SIGKILL and reaps the process.
    void kill_all() noexcept;

private:
    Process(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err, std::string name);

    enum class Ready { Output, Exited, TimedOut };
    // Reads whatever the pipes hold; waits until some arrives, EOF, the process exits (when
    // watch_exit) or the deadline passes.
    Ready pump(std::chrono::steady_clock::time_point deadline, bool watch_exit);
    void read_into(UniqueFd& fd, std::string& buffer);

    pid_t pid_ = -1;
    UniqueFd pidfd_;
    UniqueFd out_;
    UniqueFd err_;
    UniqueFd unread_err_;
    std::string name_;  // argv joined, for messages
    std::string out_buffer_;
    std::string err_text_;
    std::optional<int> status_;
};

}  // namespace svinit::test
