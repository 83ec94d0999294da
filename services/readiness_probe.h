#pragma once
// How a service tells svinit it is ready, for [readiness] types fd, exec and tcp (notify
// has its socket in Service). The verdict enters the state machine as Ready or NotReady.
//
//   fd     before each spawn, a fresh pipe: run gets the write end at fd N (s6's
//          notification-fd). A newline read through the loop makes it ready; end-of-file
//          before one means it never will be, and the readiness timeout decides. Read a
//          bounded chunk per wakeup; the pipe is closed once ready.
//   exec,  a try every `interval` (the first one `interval` after the spawn), each
//   tcp    bounded by `check-timeout`; the first that passes makes it ready; `retries`
//          failed tries in a row (0: no limit) give up (NotReady). Only the readiness
//          timeout bounds them otherwise.

#include <functional>
#include <string>

#include "core/child_host.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"
#include "services/check_run.h"
#include "services/service_spec.h"

namespace svinit::services {

class ReadinessProbe {
public:
    enum class Verdict { Ready, GaveUp };
    using Report = std::function<void(Verdict)>;

    // `process` must outlive the probe; spec.method is FdReadiness, ExecCheck or TcpCheck.
    ReadinessProbe(core::EventLoop& loop, core::ChildHost& children, std::string name,
                   const ProcessSpec& process, ReadinessSpec spec, Report report);

    // fd: a fresh pipe for the next run (any older one closed); the write end is run's.
    core::Result<core::UniqueFd> open_pipe();
    // A run was spawned: exec and tcp start trying (fd's pipe is watched already).
    void begin();
    // The run is ready, gone or stopping: no more tries, the pipe closed.
    void stop();

    unsigned failed_tries() const noexcept { return failures_; }
    const std::string& last_failure() const noexcept { return last_failure_; }

private:
    void on_pipe();
    void schedule();
    void try_once();
    void on_outcome(const CheckOutcome& outcome);
    void report(Verdict verdict);

    core::EventLoop& loop_;
    std::string name_;
    ReadinessSpec spec_;
    Report report_;
    unsigned failures_ = 0;
    std::string last_failure_;
    core::UniqueFd pipe_;
    // Handles last: gone before what their callbacks reach.
    CheckRunner runner_;
    core::TimerHandle next_try_;
    core::WatchHandle pipe_watch_;
};

}  // namespace svinit::services
