#include "pid1/init_fsm.h"

#include <algorithm>

#include "core/exit_codes.h"
#include "core/overloaded.h"

namespace svinit::pid1 {
namespace {

using Actions = std::vector<InitAction>;

// With services, or as my_init, TERM and INT mean an orderly shutdown of everything; alone
// with a main command svinit is transparent, like tini, and the command decides.
bool handles_shutdown(const InitPolicy& policy) {
    return policy.supervise || policy.flavor == Flavor::MyInit;
}

bool is_shutdown_signal(int sig, const InitPolicy& policy) {
    return std::ranges::find(policy.shutdown_signals, sig) != policy.shutdown_signals.end();
}

// Startup and shutdown scripts are my_init's.
bool has_scripts(const InitPolicy& policy) {
    switch (policy.flavor) {
        case Flavor::Svinit:
            return false;
        case Flavor::MyInit:
            return true;
    }
    return false;
}

// What the main command gets when a shutdown begins.
int main_signal(int sig, const InitPolicy& policy) {
    switch (policy.flavor) {
        case Flavor::Svinit:
            return sig;
        case Flavor::MyInit:
            return SIGTERM;  // my_init sends TERM whatever it got
    }
    return sig;
}

// The tail of every shutdown, each step skipped when it has nothing to do.

void finish(InitState& s, Actions& actions, const InitPolicy& policy) {
    if (s.main_running) {
        s.phase = Phase::WaitingForMain;
        return;
    }
    if (policy.flavor == Flavor::MyInit && s.by_signal) {
        actions.emplace_back(ReportAborted{});
        s.exit_code = exit_code::kAborted;
    }
    if (policy.kill_all_on_exit) {
        s.phase = Phase::Sweeping;
        actions.emplace_back(StartSweep{});
    } else {
        s.phase = Phase::Done;
        actions.emplace_back(StopLoop{});
    }
}

void enter_post_shutdown(InitState& s, Actions& actions, const InitPolicy& policy) {
    if (!s.booted || !has_scripts(policy)) return finish(s, actions, policy);
    s.phase = Phase::PostShutdown;
    actions.emplace_back(RunShutdownScripts{ScriptSet::PostShutdown});
}

void enter_stopping_services(InitState& s, Actions& actions, const InitPolicy& policy) {
    if (!s.services_started) return enter_post_shutdown(s, actions, policy);
    s.phase = Phase::StoppingServices;
    actions.emplace_back(StopServices{});
}

// Shutdown scripts run only after a complete boot, as my_init's.
void enter_pre_shutdown(InitState& s, Actions& actions, const InitPolicy& policy) {
    if (!s.booted || !has_scripts(policy)) return enter_stopping_services(s, actions, policy);
    s.phase = Phase::PreShutdown;
    actions.emplace_back(RunShutdownScripts{ScriptSet::PreShutdown});
}

// A shutdown asked for while running: the main command is told and gets KILL after the
// stop timeout; my_init waits for it before anything else stops.
void begin_shutdown(InitState& s, Actions& actions, const InitPolicy& policy, int sig) {
    if (s.main_running) {
        actions.emplace_back(ForwardSignal{main_signal(sig, policy)});
        actions.emplace_back(ArmMainKillTimer{});
        if (policy.flavor == Flavor::MyInit) {
            s.phase = Phase::StoppingMain;
            return;
        }
    }
    enter_pre_shutdown(s, actions, policy);
}

// The main command first, so a typo leaves nothing behind; the services once it runs.
void start_running(InitState& s, Actions& actions, const InitPolicy& policy) {
    s.phase = Phase::Running;
    if (policy.has_command) {
        actions.emplace_back(StartMain{});
    } else if (policy.supervise) {
        s.services_started = true;
        actions.emplace_back(StartServices{});
    }
}

// ---- One handler per event, each a switch over every phase.

void on_start(InitState& s, Actions& actions, const InitPolicy& policy) {
    switch (s.phase) {
        case Phase::Idle:
            if (has_scripts(policy)) {
                s.phase = Phase::Booting;
                actions.emplace_back(RunStartupScripts{});
                return;
            }
            s.booted = true;
            return start_running(s, actions, policy);
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::Running:
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

void on_boot_done(InitState& s, Actions& actions, const InitPolicy& policy, bool completed) {
    switch (s.phase) {
        case Phase::Booting:
            if (completed) {
                s.booted = true;
                return start_running(s, actions, policy);
            }
            s.exit_code = exit_code::kStartupFailed;
            return enter_pre_shutdown(s, actions, policy);
        case Phase::AbortingBoot:
            return enter_pre_shutdown(s, actions, policy);  // not booted: no scripts
        case Phase::Idle:
        case Phase::Running:
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

void on_main_started(InitState& s, Actions& actions, const InitPolicy& policy) {
    switch (s.phase) {
        case Phase::Running:
            s.main_running = true;
            if (policy.supervise) {
                s.services_started = true;
                actions.emplace_back(StartServices{});
            }
            return;
        // Init starts the main command only while running; should it ever start during a
        // shutdown it is told to stop at once, and the shutdown waits for it.
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
            s.main_running = true;
            actions.emplace_back(ForwardSignal{SIGTERM});
            actions.emplace_back(ArmMainKillTimer{});
            return;
        case Phase::Idle:
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

void on_main_start_failed(InitState& s, Actions& actions, const InitPolicy& policy, int code) {
    switch (s.phase) {
        case Phase::Running:
            s.exit_code = code;
            return enter_pre_shutdown(s, actions, policy);
        case Phase::Idle:
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

void on_main_exited(InitState& s, Actions& actions, const InitPolicy& policy, int code) {
    if (!s.main_running) return;
    auto record = [&] {
        s.main_running = false;
        if (!s.exit_code_final) s.exit_code = code;
        actions.emplace_back(CancelMainKillTimer{});
    };
    switch (s.phase) {
        case Phase::Running:
        case Phase::StoppingMain:
            record();
            return enter_pre_shutdown(s, actions, policy);
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
            record();  // the shutdown goes on
            return;
        case Phase::WaitingForMain:
            record();
            return finish(s, actions, policy);
        // The main command never runs in these.
        case Phase::Idle:
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

void on_reload(InitState& s, Actions& actions) {
    switch (s.phase) {
        case Phase::Running:
            if (s.services_started) actions.emplace_back(ReloadServices{});
            return;
        case Phase::Idle:
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

// A shutdown signal (by_signal) or svctl shutdown.
void on_shutdown(InitState& s, Actions& actions, const InitPolicy& policy, int sig,
                 bool by_signal) {
    switch (s.phase) {
        case Phase::Booting:
            s.by_signal = by_signal;
            s.phase = Phase::AbortingBoot;
            actions.emplace_back(AbortStartupScripts{});
            return;
        case Phase::Running:
            s.by_signal = by_signal;
            return begin_shutdown(s, actions, policy, sig);
        // Already shutting down: the main command hears it again, nothing else changes.
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
            if (s.main_running) actions.emplace_back(ForwardSignal{main_signal(sig, policy)});
            return;
        case Phase::Idle:
        case Phase::AbortingBoot:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

// An essential service failed for good: the run ends with its status.
void on_essential_failed(InitState& s, Actions& actions, const InitPolicy& policy, int code) {
    if (s.phase != Phase::Running) return;  // already shutting down: that shutdown goes on
    s.exit_code = code;
    s.exit_code_final = true;
    on_shutdown(s, actions, policy, SIGTERM, false);
}

void on_signal(InitState& s, Actions& actions, const InitPolicy& policy, int sig) {
    if (handles_shutdown(policy) && is_shutdown_signal(sig, policy)) {
        return on_shutdown(s, actions, policy, sig, true);
    }
    if (sig == SIGHUP && policy.supervise && !s.main_running) return on_reload(s, actions);
    if (s.main_running) actions.emplace_back(ForwardSignal{sig});
}

void on_scripts_done(InitState& s, Actions& actions, const InitPolicy& policy) {
    switch (s.phase) {
        case Phase::PreShutdown:
            return enter_stopping_services(s, actions, policy);
        case Phase::PostShutdown:
            return finish(s, actions, policy);
        case Phase::Idle:
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::Running:
        case Phase::StoppingMain:
        case Phase::StoppingServices:
        case Phase::WaitingForMain:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

void on_services_stopped(InitState& s, Actions& actions, const InitPolicy& policy) {
    switch (s.phase) {
        case Phase::StoppingServices:
            return enter_post_shutdown(s, actions, policy);
        case Phase::Idle:
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::Running:
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
        case Phase::Sweeping:
        case Phase::Done:
            return;
    }
}

void on_sweep_done(InitState& s, Actions& actions) {
    switch (s.phase) {
        case Phase::Sweeping:
            s.phase = Phase::Done;
            actions.emplace_back(StopLoop{});
            return;
        case Phase::Idle:
        case Phase::Booting:
        case Phase::AbortingBoot:
        case Phase::Running:
        case Phase::StoppingMain:
        case Phase::PreShutdown:
        case Phase::StoppingServices:
        case Phase::PostShutdown:
        case Phase::WaitingForMain:
        case Phase::Done:
            return;
    }
}

}  // namespace

InitTransition step(const InitState& state, const InitEvent& event, const InitPolicy& policy) {
    InitTransition t{state, {}, false};
    InitState& s = t.next;
    Actions& actions = t.actions;
    std::visit(
        core::Overloaded{
            [&](const Start&) { on_start(s, actions, policy); },
            [&](const BootDone& e) { on_boot_done(s, actions, policy, e.completed); },
            [&](const MainStarted&) { on_main_started(s, actions, policy); },
            [&](const MainStartFailed& e) { on_main_start_failed(s, actions, policy, e.exit_code); },
            [&](const MainExited& e) { on_main_exited(s, actions, policy, e.exit_code); },
            [&](const SignalReceived& e) { on_signal(s, actions, policy, e.sig); },
            [&](const ShutdownRequested&) { on_shutdown(s, actions, policy, SIGTERM, false); },
            [&](const EssentialFailed& e) { on_essential_failed(s, actions, policy, e.exit_code); },
            [&](const Reload&) { on_reload(s, actions); },
            [&](const ScriptsDone&) { on_scripts_done(s, actions, policy); },
            [&](const ServicesStopped&) { on_services_stopped(s, actions, policy); },
            [&](const MainKillTimeout&) {
                if (s.main_running) actions.emplace_back(KillMain{});
            },
            [&](const SweepDone&) { on_sweep_done(s, actions); },
        },
        event);
    t.ignored = t.actions.empty() && t.next == state;
    return t;
}

std::string_view to_string(Phase phase) noexcept {
    switch (phase) {
        case Phase::Idle: return "idle";
        case Phase::Booting: return "booting";
        case Phase::AbortingBoot: return "aborting boot";
        case Phase::Running: return "running";
        case Phase::StoppingMain: return "stopping main";
        case Phase::PreShutdown: return "pre-shutdown";
        case Phase::StoppingServices: return "stopping services";
        case Phase::PostShutdown: return "post-shutdown";
        case Phase::WaitingForMain: return "waiting for main";
        case Phase::Sweeping: return "sweeping";
        case Phase::Done: return "done";
    }
    return "?";
}

std::string_view event_name(const InitEvent& event) noexcept {
    return std::visit(
        core::Overloaded{
            [](const Start&) { return std::string_view("start"); },
            [](const BootDone&) { return std::string_view("boot done"); },
            [](const MainStarted&) { return std::string_view("main started"); },
            [](const MainStartFailed&) { return std::string_view("main start failed"); },
            [](const MainExited&) { return std::string_view("main exited"); },
            [](const SignalReceived&) { return std::string_view("signal"); },
            [](const ShutdownRequested&) { return std::string_view("shutdown requested"); },
            [](const EssentialFailed&) { return std::string_view("essential service failed"); },
            [](const Reload&) { return std::string_view("reload"); },
            [](const ScriptsDone&) { return std::string_view("scripts done"); },
            [](const ServicesStopped&) { return std::string_view("services stopped"); },
            [](const MainKillTimeout&) { return std::string_view("main kill timeout"); },
            [](const SweepDone&) { return std::string_view("sweep done"); },
        },
        event);
}

}  // namespace svinit::pid1
