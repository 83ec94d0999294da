#pragma once
// Supervision tests: runit service directories written by the test, svinit supervising them
// as PID 1 (see svinit.h), svctl and sv run against its control socket, and a FIFO on which
// the services report what happens to them ("web 7" when web starts as pid 7), so that a
// test waits for events, never for time.

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/process.h"
#include "support/svinit.h"
#include "core/unique_fd.h"

namespace svinit::test {

using core::UniqueFd;  // header-only: the tests need not link the core library

// PREFIX000, PREFIX001, ...: count names that sort in order.
std::vector<std::string> numbered_names(std::string_view prefix, int count);

// Writes path atomically: a temporary name in the same directory, then rename(), so svinit's
// directory watcher never sees a half-written script.
void write_file(const std::string& path, std::string_view text, mode_t mode = 0644);

// "#!/bin/sh\n" + body.
std::string shell_script(std::string_view body);

// A service directory's files: script texts ("" for none) and whether it has a `down` file.
// ServiceFiles(run).with_finish(...).with_logger(...).normally_down()
struct ServiceFiles {
    explicit ServiceFiles(std::string run_script) : run(std::move(run_script)) {}
    ServiceFiles& with_finish(std::string script) {
        finish = std::move(script);
        return *this;
    }
    ServiceFiles& with_logger(std::string script) {
        log_run = std::move(script);
        return *this;
    }
    ServiceFiles& normally_down() {
        down = true;
        return *this;
    }

    std::string run;
    std::string finish;
    std::string log_run;  // log/run
    bool down = false;
};

// Creates dir and writes files into it, run last: whatever watches it sees a complete service.
void write_service(const std::string& dir, const ServiceFiles& files);

// A FIFO that services write event lines to (`echo "web $$" > FIFO`, one short line per
// write, so lines never interleave). The test holds it open for reading and writing: a writer
// never blocks in open(), and the reader never sees end of file.
class EventFifo {
public:
    explicit EventFifo(std::string path);
    const std::string& path() const { return path_; }

    // The next line without its '\n'; nullopt when none comes within timeout.
    std::optional<std::string> read_line(Millis timeout);

private:
    std::string path_;
    UniqueFd fd_;
    std::string buffer_;
};

// What a finished command printed, and how it ended.
struct CommandResult {
    int status = -1;                 // decode_wait_status()
    std::vector<std::string> lines;  // stdout
    std::string err;                 // stderr
};
std::ostream& operator<<(std::ostream& out, const CommandResult& result);

// Runs argv to the end (a hang guard: timeout FAILs the test).
CommandResult run_command(const std::vector<std::string>& argv, Millis timeout);

// Waits until the process with host pid `pid` has exited (it may be a zombie for a moment
// after): true when it did within timeout, or was gone already.
bool wait_gone(pid_t pid, Millis timeout);

// svinit supervising DIR/service of the harness's temp dir, controlled through
// DIR/control.sock, with the event FIFO at DIR/events.
class Supervision {
public:
    explicit Supervision(const Harness& harness);

    const std::string& dir() const { return harness_.dir(); }
    const std::string& service_root() const { return service_root_; }
    const std::string& socket() const { return socket_; }
    std::string service_path(std::string_view name) const;
    EventFifo& events() { return events_; }

    // A run script that reports "NAME PID" on the event FIFO and then execs sleep (which
    // keeps the pid, and exits on SIGTERM). prelude runs first (e.g. "trap '' TERM").
    std::string sleeper(std::string_view name, std::string_view prelude = {}) const;

    // Writes service_root()/NAME (before or after start()).
    void add(std::string_view name, const ServiceFiles& files) const;

    // Starts svinit with --service-dir, --control-socket and options, and returns once the
    // control socket accepts connections.
    void start(const std::vector<std::string>& options = {});
    Process& svinit() { return *svinit_; }
    pid_t host_pid() const { return host_pid_; }
    // What svinit logged so far (its stderr), for failure messages.
    std::string log();

    // svctl --socket SOCKET ARGS...
    CommandResult svctl(const std::vector<std::string>& args,
                        Millis timeout = std::chrono::seconds(20));
    // The same, REQUIRE-ing exit 0.
    CommandResult svctl_ok(const std::vector<std::string>& args,
                           Millis timeout = std::chrono::seconds(20));
    // sv ARGS... through the sv symlink, with SVINIT_SOCKET set, as a runit script would.
    CommandResult sv(const std::vector<std::string>& args,
                     Millis timeout = std::chrono::seconds(20));

    // The service's object from `svctl --json status SERVICE`.
    nlohmann::json status(std::string_view service);
    // The pids (in svinit's namespace) of the run process and of the logger; 0 for none.
    pid_t pid(std::string_view service);
    pid_t log_pid(std::string_view service);

    // The host pid of svinit's child that is ns_pid inside the namespace.
    std::optional<pid_t> host_pid_of(pid_t ns_pid) const;

    // Reads the next event line, REQUIRE-ing that one comes within timeout.
    std::string next_event(Millis timeout = std::chrono::seconds(10));
    // Reads events until one starts with "NAME " and returns its pid; REQUIREs it in time.
    // Other events read on the way are dropped.
    pid_t next_start(std::string_view name, Millis timeout = std::chrono::seconds(10));

    // SIGTERM to svinit; returns its exit status (a hang guard: FAILs after timeout).
    int stop(Millis timeout = std::chrono::seconds(15));

private:
    void wait_for_socket(Millis timeout);

    const Harness& harness_;
    std::string service_root_;
    std::string socket_;
    EventFifo events_;
    std::optional<Process> svinit_;
    pid_t host_pid_ = -1;
};

}  // namespace svinit::test
