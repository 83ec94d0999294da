#pragma once
// One try of a readiness or health check (TOML's [readiness] and [health] types exec and
// tcp), bounded by its time limit. An exec check is the service's own kind of program:
// argv through PATH (never a shell), the service's environment, user, groups and working
// directory, in a process group of its own; one that overruns is killed with its group.
// A tcp check is a non-blocking connect through the loop. The outcome always comes from
// the loop, never from inside start(), so the caller is never re-entered.

#include <functional>
#include <memory>
#include <string>

#include "core/child_host.h"
#include "core/event_loop.h"
#include "core/tcp_connect.h"
#include "services/service_spec.h"

namespace svinit::services {

struct CheckOutcome {
    bool passed = false;
    // "passed", "exited with status 1", "connect 127.0.0.1:80: Connection refused",
    // "timed out after 2.0s"
    std::string detail;
};

class CheckRunner {
public:
    using Done = std::function<void(const CheckOutcome&)>;

    // `process` (the service's run, for an exec check's context) must outlive the runner.
    CheckRunner(core::EventLoop& loop, core::ChildHost& children, std::string label,
                const ProcessSpec& process);
    CheckRunner(const CheckRunner&) = delete;
    CheckRunner& operator=(const CheckRunner&) = delete;
    ~CheckRunner() { cancel(); }

    // Starts one try, cancelling any still running; `done` runs once, from the loop,
    // unless cancel() (or the destructor) comes first.
    void start(const std::variant<ExecCheck, TcpCheck>& check, Duration limit, Done done);
    // Ends the try in flight, if any: an exec check is killed with its process group.
    void cancel();
    bool running() const noexcept { return static_cast<bool>(done_); }

private:
    void start_exec(const ExecCheck& check);
    void start_tcp(const TcpCheck& check);
    void finish(CheckOutcome outcome);
    void fail_soon(std::string detail);
    void kill_child();

    core::EventLoop& loop_;
    core::ChildHost& children_;
    std::string label_;  // "web: health check"
    const ProcessSpec& process_;
    Duration limit_{};
    Done done_;
    // Handles last: gone before what their callbacks reach.
    core::TrackedChild child_;
    std::unique_ptr<core::TcpConnect> connect_;
    core::TimerHandle deadline_;
};

}  // namespace svinit::services
