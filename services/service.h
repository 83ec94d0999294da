#pragma once
// A service: its `run` program and, when it has one, its logger `log/run`, joined by a
// pipe that svinit holds both ends of. Because svinit keeps the pipe, either side can
// restart without losing what the other wrote (runsv's design).
//
// Stopping a service for good (shutdown, or its directory removed): run is told down;
// once it and its finish are gone, svinit closes its write end of the pipe so the
// logger reads what is left, sees end-of-file and exits by itself. A logger still
// running after the stop timeout is told down (TERM, then KILL).

#include <functional>
#include <memory>
#include <optional>

#include "core/notify_socket.h"
#include "core/unique_fd.h"
#include "services/dep_graph.h"
#include "services/health_probe.h"
#include "services/readiness_probe.h"
#include "services/output_capture.h"
#include "services/supervised_process.h"

namespace svinit::services {

class Service {
public:
    // Runs on every state change of run or the logger.
    using Changed = std::function<void()>;

    static core::Result<std::unique_ptr<Service>> create(ProcessContext context, ServiceSpec spec,
                                                         Policy policy, Changed on_change);

    void start();
    // A command to run (or, with Program::Log, to the logger). Signals to a program that
    // is not running fail with ESRCH; a logger the service has not got, with ENOENT.
    core::Result<void> command(Command command, Program program = Program::Main);

    // Stops run and then the logger for good; on_change reports progress, and
    // settled() says when it is over.
    void retire();
    bool retiring() const noexcept { return retiring_; }
    bool settled() const noexcept;

    const ServiceSpec& spec() const noexcept { return spec_; }
    const SupervisedProcess& main() const noexcept { return *main_; }
    const SupervisedProcess* logger() const noexcept { return log_.get(); }
    // run's captured output (prefix, json, file modes); null when it is inherited.
    const OutputCapture* capture() const noexcept { return capture_.get(); }
    ServiceStatus status() const;
    // The logger as a target of its own, named NAME/log with log/ as its directory; nullopt
    // without one.
    std::optional<ServiceStatus> logger_status() const;

    // The start gate its dependencies give it (dep_graph.h); told to run as DepsChanged.
    const std::optional<Gate>& gate() const noexcept { return gate_; }
    void set_gate(Gate gate);

    // A changed declaration that does not need a new process (finish, down file).
    bool can_update_in_place(const ServiceSpec& spec) const;
    void update(ServiceSpec spec, Policy policy);

private:
    Service(ProcessContext context, ServiceSpec spec, Changed on_change);
    void on_main_change(State to);
    void make_probes();
    // Starts and stops the readiness and health checks by run's state; `spawned`: a new
    // run was just started.
    void sync_probes(bool spawned);
    core::Result<void> open_notify_socket();
    void on_notify();
    bool from_service(pid_t pid) const;
    void retire_logger();
    core::Result<void> capture_output(StdioSources& stdio);

    ProcessContext context_;
    ServiceSpec spec_;
    Changed on_change_;
    core::UniqueFd pipe_read_;
    core::UniqueFd pipe_write_;
    // Before the programs, so its pipes outlive them.
    std::unique_ptr<OutputCapture> capture_;
    std::unique_ptr<SupervisedProcess> main_;
    std::unique_ptr<SupervisedProcess> log_;
    core::TimerHandle log_drain_timer_;
    bool retiring_ = false;
    Duration stop_timeout_{};
    std::optional<Gate> gate_;
    // readiness type notify: the service's NOTIFY_SOCKET, and the last STATUS= it sent.
    std::optional<core::NotifySocket> notify_;
    std::string notify_status_;
    // readiness types fd, exec, tcp, and [health]; after main_, which their callbacks reach.
    std::unique_ptr<ReadinessProbe> readiness_;
    std::unique_ptr<HealthProbe> health_;
    core::WatchHandle notify_watch_;  // last: gone before what its callback reaches
};

// The Policy of one program from the supervisor-wide defaults and its declaration.
Policy policy_for(const ProcessSpec& spec, const Policy& defaults);

// The Policy of a service's main program: policy_for, and for a TOML service its
// [restart], [stop] and type, which the loader filled in with every default.
Policy main_policy(const ServiceSpec& spec, const Policy& defaults);

}  // namespace svinit::services
