#pragma once
// One supervised program -- a service's `run`, or its logger's `log/run` -- with its
// state machine. It turns loop callbacks into Events, feeds them to step(), and carries
// out the Actions: spawning run and finish, signals through pidfds, one timer.

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/child_host.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"
#include "services/service_fsm.h"
#include "services/sandbox_run.h"
#include "services/service_spec.h"
#include "services/supervisor_api.h"

namespace svinit::services {

struct OutputContext;

struct ProcessContext {
    core::EventLoop& loop;
    core::ChildHost& children;
    OutputContext* output = nullptr;  // null: every service's output is inherited
};

// Where a program's stdin, stdout and stderr come from; null means /dev/null for stdin and
// svinit's own stdout and stderr. The fds belong to the Service, which outlives its programs.
struct StdioSources {
    const core::UniqueFd* in = nullptr;
    const core::UniqueFd* out = nullptr;
    const core::UniqueFd* err = nullptr;
};

// Commands kept while a control script runs; more are dropped with a warning. runsv's
// control FIFO holds 64 KiB of them; a script ends within the stop timeout.
inline constexpr std::size_t kMaxDeferredCommands = 64;

class SupervisedProcess {
public:
    using StateChanged = std::function<void(State from, State to)>;

    SupervisedProcess(ProcessContext context, std::string label, ProcessSpec spec, Policy policy,
                      StdioSources stdio, StateChanged on_change);
    SupervisedProcess(const SupervisedProcess&) = delete;
    SupervisedProcess& operator=(const SupervisedProcess&) = delete;

    // Begins supervision: starts run unless the program is normally down.
    void start();
    void post(const Event& event);

    const ServiceState& state() const noexcept { return state_; }
    // Run, finish or a control script is a process now.
    // A sandbox's run lasts until its cgroup is empty.
    bool running() const noexcept {
        return run_.active() || finish_.active() || control_.active() ||
               (sandbox_ && sandbox_->emptying());
    }
    bool run_alive() const noexcept { return run_.active(); }
    // Down or failed: nothing runs and nothing will restart by itself.
    bool settled() const noexcept;
    ProcessStatus status() const;
    const std::string& label() const noexcept { return label_; }

    // Takes a changed declaration (finish added, down file...) without a restart.
    void update(ProcessSpec spec, Policy policy);

    // TOML's [stop] command: run for control/t (the policy must name 't').
    void set_stop_command(std::vector<std::string> argv) { stop_command_ = std::move(argv); }
    // TOML's [sandbox]: run starts in it (services/sandbox_run.h) from the next start on.
    void set_sandbox(std::optional<sandbox::SandboxSpec> spec) { sandbox_spec_ = std::move(spec); }
    // Variables added to a TOML service's environment ("NOTIFY_SOCKET=@...").
    void set_extra_env(std::vector<std::string> env) { extra_env_ = std::move(env); }

    // What the owner does around each spawn of run (its readiness and health checks).
    struct RunHooks {
        // Before: an fd run gets at pass_fd_target (readiness type fd's pipe); an error
        // fails the spawn. A TOML service's run only (not in a sandbox).
        std::function<core::Result<core::UniqueFd>()> pass_fd;
        int pass_fd_target = -1;
        // After a spawn that succeeded, with the state already the new one. It runs among
        // the actions of a step: what it posts waits until the step is carried out.
        std::function<void()> spawned;
    };
    void set_run_hooks(RunHooks hooks) { hooks_ = std::move(hooks); }

private:
    void drain();
    void execute(const Action& action);
    void spawn_run();
    void spawn_finish(const SpawnFinish& args);
    void arm_timer(const ArmTimer& timer);
    void run_control(const RunControl& control);
    void kill_control();
    void signal_run(int sig, bool group);
    void take_deferred();
    core::Result<core::TrackedChild> spawn_program(const std::filesystem::path& path,
                                                   std::vector<std::string> argv,
                                                   core::ChildHost::ExitCallback on_exit);
    // A TOML service's program: argv through exec_plan.h.
    core::Result<core::TrackedChild> spawn_command(const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& extra_env,
                                                   core::ChildHost::ExitCallback on_exit,
                                                   std::vector<core::PassFd> pass = {});
    // A TOML service with [sandbox]: its run through sandbox::spawn_sandbox.
    core::Result<core::TrackedChild> spawn_sandboxed(core::ChildHost::ExitCallback on_exit);
    core::Result<core::UniqueFd> open_stdin() const;
    std::string failure_reason() const;

    ProcessContext context_;
    std::string label_;
    ProcessSpec spec_;
    Policy policy_;
    StdioSources stdio_;
    StateChanged on_change_;
    std::vector<std::string> stop_command_;
    std::vector<std::string> extra_env_;
    std::optional<sandbox::SandboxSpec> sandbox_spec_;
    RunHooks hooks_;
    ServiceState state_;
    // Why the last start failed, where errno alone does not say it ("sandbox setup failed
    // at pivot_root(/srv/web/root): No such file or directory").
    std::string spawn_failure_;
    // The sandboxed run's cgroup; before run_, whose exit callback reaches it.
    std::unique_ptr<SandboxRun> sandbox_;
    // Handles last among what callbacks reach, so they are gone before the rest.
    core::TrackedChild run_;
    core::TrackedChild finish_;
    core::TrackedChild control_;       // a control script (runit's control/C)
    char control_script_ = 0;          // its C
    core::TimerHandle timer_;
    core::TimerHandle control_timer_;  // the control script's deadline; lives as long as it
    // Events raised while actions run (a spawn that fails at once) wait here, so
    // step() is never re-entered.
    std::deque<Event> queue_;
    // Commands that wait for a control script's end (Transition::deferred), in order.
    std::deque<Event> deferred_;
    bool draining_ = false;
};

}  // namespace svinit::services
