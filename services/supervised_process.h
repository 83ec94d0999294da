#pragma once
// One supervised program -- a service's `run`, or its logger's `log/run` -- with its
// state machine. It turns loop callbacks into Events, feeds them to step(), and carries
// out the Actions: spawning run and finish, signals through pidfds, one timer.

#include <sys/types.h>

#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "core/child_reaper.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"
#include "services/service_fsm.h"
#include "services/service_spec.h"
#include "services/supervisor_api.h"

namespace svinit::services {

struct ProcessContext {
    core::EventLoop& loop;
    core::ChildReaper& reaper;
};

// Where a program's stdin and stdout come from; null means /dev/null for stdin and
// svinit's own stdout. The fds belong to the Service, which outlives its programs.
struct StdioSources {
    const core::UniqueFd* in = nullptr;
    const core::UniqueFd* out = nullptr;
};

class SupervisedProcess {
public:
    using StateChanged = std::function<void(State from, State to)>;

    SupervisedProcess(ProcessContext context, std::string label, ProcessSpec spec, Policy policy,
                      StdioSources stdio, StateChanged on_change);
    ~SupervisedProcess();
    SupervisedProcess(const SupervisedProcess&) = delete;
    SupervisedProcess& operator=(const SupervisedProcess&) = delete;

    // Begins supervision: starts run unless the program is normally down.
    void start();
    void post(const Event& event);
    // Sends a signal to run (SIGSTOP/SIGCONT go through post(Pause/Continue) instead).
    core::Result<void> signal(int sig);

    const ServiceState& state() const noexcept { return state_; }
    bool running() const noexcept { return run_pid_.has_value() || finish_pid_.has_value(); }
    // Down or failed: nothing runs and nothing will restart by itself.
    bool settled() const noexcept;
    ProcessStatus status() const;
    const std::string& label() const noexcept { return label_; }

    // Takes a changed declaration (finish added, down file...) without a restart.
    void update(ProcessSpec spec, Policy policy);

private:
    void drain();
    void execute(const Action& action);
    void spawn_run();
    void spawn_finish(const SpawnFinish& args);
    void arm_timer(const ArmTimer& timer);
    void cancel_timer();
    core::Result<core::Child> spawn_program(const std::filesystem::path& path,
                                            std::vector<std::string> argv);
    std::string failure_reason() const;

    ProcessContext context_;
    std::string label_;
    ProcessSpec spec_;
    Policy policy_;
    StdioSources stdio_;
    StateChanged on_change_;
    ServiceState state_;
    std::optional<pid_t> run_pid_;
    std::optional<pid_t> finish_pid_;
    std::optional<core::TimerId> timer_;
    // Events raised while actions run (a spawn that fails at once) wait here, so
    // step() is never re-entered.
    std::deque<Event> queue_;
    bool draining_ = false;
};

}  // namespace svinit::services
