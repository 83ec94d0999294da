// The init state machine, table-driven: each row is a life (a sequence of events) under a
// policy, with every action Init must carry out, in order, and the exit code it ends with.

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/overloaded.h"
#include "pid1/init_fsm.h"

using namespace svinit::pid1;

namespace {

std::string describe(const InitAction& action) {
    return std::visit(
        svinit::core::Overloaded{
            [](const RunStartupScripts&) { return std::string("run startup scripts"); },
            [](const AbortStartupScripts&) { return std::string("abort startup scripts"); },
            [](const StartMain&) { return std::string("start main"); },
            [](const StartServices&) { return std::string("start services"); },
            [](const ReloadServices&) { return std::string("reload services"); },
            [](const ForwardSignal& a) { return "forward " + std::to_string(a.sig); },
            [](const ArmMainKillTimer&) { return std::string("arm main kill timer"); },
            [](const CancelMainKillTimer&) { return std::string("cancel main kill timer"); },
            [](const KillMain&) { return std::string("kill main"); },
            [](const RunShutdownScripts& a) {
                return std::string(a.which == ScriptSet::PreShutdown ? "run pre-shutdown"
                                                                     : "run post-shutdown");
            },
            [](const StopServices&) { return std::string("stop services"); },
            [](const ReportAborted&) { return std::string("report aborted"); },
            [](const StartSweep&) { return std::string("start sweep"); },
            [](const StopLoop&) { return std::string("stop loop"); },
        },
        action);
}

std::vector<std::string> describe(const std::vector<InitAction>& actions) {
    std::vector<std::string> out;
    for (const auto& action : actions) out.push_back(describe(action));
    return out;
}

InitPolicy svinit_rules(bool command, bool supervise) {
    InitPolicy policy;
    policy.has_command = command;
    policy.supervise = supervise;
    return policy;
}

InitPolicy my_init_rules(bool command, bool supervise) {
    InitPolicy policy = svinit_rules(command, supervise);
    policy.flavor = Flavor::MyInit;
    return policy;
}

InitPolicy without_sweep(InitPolicy policy) {
    policy.kill_all_on_exit = false;
    return policy;
}

InitPolicy with_shutdown_signal(InitPolicy policy, int sig) {
    policy.shutdown_signals.push_back(sig);
    return policy;
}

// The events that start every life: no startup scripts, or scripts that all succeed.
const InitEvent kStart = Start{};
const InitEvent kBooted = BootDone{true};
const InitEvent kTerm = SignalReceived{SIGTERM};

struct Life {
    std::string name;
    InitPolicy policy;
    std::vector<InitEvent> events;
    std::vector<std::string> actions;
    Phase end = Phase::Done;
    int exit_code = 0;
};

// svinit's own rules.
const std::vector<Life> kSvinitLives{
    {"a main command alone: its exit code, then the sweep",
     svinit_rules(true, false),
     {kStart, MainStarted{}, MainExited{3}, SweepDone{}},
     {"start main", "cancel main kill timer", "start sweep", "stop loop"},
     Phase::Done,
     3},
    {"a main command alone: TERM is passed on, like tini, and it decides",
     svinit_rules(true, false),
     {kStart, MainStarted{}, kTerm, SignalReceived{SIGINT}, MainExited{143},
      SweepDone{}},
     {"start main", "forward 15", "forward 2", "cancel main kill timer",
      "start sweep", "stop loop"},
     Phase::Done,
     143},
    {"services alone: TERM stops them, then the sweep, exit 0",
     svinit_rules(false, true),
     {kStart, kTerm, ServicesStopped{}, SweepDone{}},
     {"start services", "stop services", "start sweep", "stop loop"},
     Phase::Done,
     0},
    {"main and services: the main command's TERM, kill timer and the services' stop at once",
     svinit_rules(true, true),
     {kStart, MainStarted{}, kTerm, ServicesStopped{}, MainKillTimeout{},
      MainExited{137}, SweepDone{}},
     {"start main", "start services", "forward 15", "arm main kill timer",
      "stop services", "kill main", "cancel main kill timer", "start sweep", "stop loop"},
     Phase::Done,
     137},
    {"main and services: waiting for the main command after the services",
     svinit_rules(true, true),
     {kStart, MainStarted{}, kTerm, ServicesStopped{}},
     {"start main", "start services", "forward 15", "arm main kill timer",
      "stop services"},
     Phase::WaitingForMain,
     0},
    {"main and services: the main command's exit stops the services",
     svinit_rules(true, true),
     {kStart, MainStarted{}, MainExited{4}, ServicesStopped{}, SweepDone{}},
     {"start main", "start services", "cancel main kill timer",
      "stop services", "start sweep", "stop loop"},
     Phase::Done,
     4},
    {"a main command that cannot start: its code, and no service was started",
     svinit_rules(true, true),
     {kStart, MainStartFailed{127}, SweepDone{}},
     {"start main", "start sweep", "stop loop"},
     Phase::Done,
     127},
    {"an essential service failed: its status, kept over the main command's",
     svinit_rules(true, true),
     {kStart, MainStarted{}, EssentialFailed{7}, MainExited{143}, ServicesStopped{},
      SweepDone{}},
     {"start main", "start services", "forward 15", "arm main kill timer", "stop services",
      "cancel main kill timer", "start sweep", "stop loop"},
     Phase::Done,
     7},
    {"an essential service failed with services alone: its status",
     svinit_rules(false, true),
     {kStart, EssentialFailed{137}, ServicesStopped{}, SweepDone{}},
     {"start services", "stop services", "start sweep", "stop loop"},
     Phase::Done,
     137},
    {"an essential failure during a shutdown changes nothing",
     svinit_rules(false, true),
     {kStart, kTerm, EssentialFailed{3}, ServicesStopped{}, SweepDone{}},
     {"start services", "stop services", "start sweep", "stop loop"},
     Phase::Done,
     0},
    {"--no-kill-all-on-exit: no sweep",
     without_sweep(svinit_rules(true, false)),
     {kStart, MainStarted{}, MainExited{5}},
     {"start main", "cancel main kill timer", "stop loop"},
     Phase::Done,
     5},
    {"svctl shutdown: like TERM, and the exit code stays the main command's",
     svinit_rules(true, true),
     {kStart, MainStarted{}, ShutdownRequested{}, MainExited{0}, ServicesStopped{},
      SweepDone{}},
     {"start main", "start services", "forward 15", "arm main kill timer",
      "stop services", "cancel main kill timer", "start sweep", "stop loop"},
     Phase::Done,
     0},
    {"SIGHUP with services and no main command: reload",
     svinit_rules(false, true),
     {kStart, SignalReceived{SIGHUP}, Reload{}},
     {"start services", "reload services", "reload services"},
     Phase::Running,
     0},
    {"SIGHUP with a main command: passed on to it",
     svinit_rules(true, true),
     {kStart, MainStarted{}, SignalReceived{SIGHUP}, SignalReceived{SIGUSR1}},
     {"start main", "start services", "forward 1", "forward 10"},
     Phase::Running,
     0},
    {"a reload while stopping changes nothing; a second TERM reaches the main command only",
     svinit_rules(true, true),
     {kStart, MainStarted{}, kTerm, Reload{}, kTerm, ServicesStopped{}},
     {"start main", "start services", "forward 15", "arm main kill timer",
      "stop services", "forward 15"},
     Phase::WaitingForMain,
     0},
    {"signals with nothing to pass them to are ignored",
     svinit_rules(false, true),
     {kStart, SignalReceived{SIGUSR1}, kTerm, SignalReceived{SIGUSR1}, kTerm,
      ServicesStopped{}, kTerm, SweepDone{}, kTerm},
     {"start services", "stop services", "start sweep", "stop loop"},
     Phase::Done,
     0},
};

// my_init's rules.
const std::vector<Life> kMyInitLives{
    {"TERM: the main command first, then pre-shutdown, services, post-shutdown, exit 2",
     my_init_rules(true, true),
     {kStart, kBooted, MainStarted{}, kTerm, MainExited{0}, ScriptsDone{}, ServicesStopped{},
      ScriptsDone{}, SweepDone{}},
     {"run startup scripts", "start main", "start services", "forward 15", "arm main kill timer",
      "cancel main kill timer", "run pre-shutdown", "stop services", "run post-shutdown",
      "report aborted", "start sweep", "stop loop"},
     Phase::Done,
     2},
    {"INT, or a --shutdown-signal, sends the main command TERM",
     with_shutdown_signal(my_init_rules(true, false), SIGUSR1),
     {kStart, kBooted, MainStarted{}, SignalReceived{SIGUSR1}, SignalReceived{SIGINT},
      MainExited{0}, ScriptsDone{}, ScriptsDone{}, SweepDone{}},
     {"run startup scripts", "start main", "forward 15", "arm main kill timer", "forward 15",
      "cancel main kill timer", "run pre-shutdown", "run post-shutdown", "report aborted",
      "start sweep", "stop loop"},
     Phase::Done,
     2},
    {"nothing else stops while the main command does",
     my_init_rules(true, true),
     {kStart, kBooted, MainStarted{}, kTerm, ServicesStopped{}, ScriptsDone{}, MainKillTimeout{}},
     {"run startup scripts", "start main", "start services", "forward 15", "arm main kill timer",
      "kill main"},
     Phase::StoppingMain,
     0},
    {"the main command exits 7: shutdown scripts and services, exit 7",
     my_init_rules(true, true),
     {kStart, kBooted, MainStarted{}, MainExited{7}, ScriptsDone{}, ServicesStopped{},
      ScriptsDone{}, SweepDone{}},
     {"run startup scripts", "start main", "start services", "cancel main kill timer",
      "run pre-shutdown", "stop services", "run post-shutdown", "start sweep", "stop loop"},
     Phase::Done,
     7},
    {"a failing startup script: exit 1, nothing started, so nothing stopped",
     my_init_rules(true, true),
     {kStart, BootDone{false}, SweepDone{}},
     {"run startup scripts", "start sweep", "stop loop"},
     Phase::Done,
     1},
    {"TERM during start-up: the script is stopped, nothing else runs, exit 2",
     my_init_rules(true, true),
     {kStart, kTerm, kTerm, BootDone{false}, SweepDone{}},
     {"run startup scripts", "abort startup scripts", "report aborted", "start sweep",
      "stop loop"},
     Phase::Done,
     2},
    {"svctl shutdown during start-up: no 'aborted', exit 0",
     my_init_rules(false, true),
     {kStart, ShutdownRequested{}, BootDone{true}, SweepDone{}},
     {"run startup scripts", "abort startup scripts", "start sweep", "stop loop"},
     Phase::Done,
     0},
    {"a main command that cannot start after the boot: shutdown scripts, exit 127",
     my_init_rules(true, true),
     {kStart, kBooted, MainStartFailed{127}, ScriptsDone{}, ScriptsDone{}, SweepDone{}},
     {"run startup scripts", "start main", "run pre-shutdown", "run post-shutdown", "start sweep",
      "stop loop"},
     Phase::Done,
     127},
    {"services without a main command: TERM stops them between the scripts",
     my_init_rules(false, true),
     {kStart, kBooted, kTerm, ScriptsDone{}, ServicesStopped{}, ScriptsDone{}, SweepDone{}},
     {"run startup scripts", "start services", "run pre-shutdown", "stop services",
      "run post-shutdown", "report aborted", "start sweep", "stop loop"},
     Phase::Done,
     2},
    {"--skip-runit and --no-kill-all-on-exit: no services, no sweep",
     without_sweep(my_init_rules(true, false)),
     {kStart, kBooted, MainStarted{}, MainExited{0}, ScriptsDone{}, ScriptsDone{}},
     {"run startup scripts", "start main", "cancel main kill timer", "run pre-shutdown",
      "run post-shutdown", "stop loop"},
     Phase::Done,
     0},
    {"TERM and INT mean shutdown even without services",
     my_init_rules(true, false),
     {kStart, kBooted, MainStarted{}, SignalReceived{SIGINT}},
     {"run startup scripts", "start main", "forward 15", "arm main kill timer"},
     Phase::StoppingMain,
     0},
};

void check_life(const Life& life) {
    INFO(life.name);
    InitState state;
    std::vector<InitAction> actions;
    for (const auto& event : life.events) {
        InitTransition t = step(state, event, life.policy);
        if (t.ignored) CHECK(t.next == state);
        actions.insert(actions.end(), t.actions.begin(), t.actions.end());
        state = t.next;
    }
    CHECK(describe(actions) == life.actions);
    CHECK(to_string(state.phase) == to_string(life.end));
    CHECK(state.exit_code == life.exit_code);
}

const std::vector<InitEvent> kEveryEvent{
    Start{},           BootDone{true},    BootDone{false},   MainStarted{},
    MainStartFailed{1}, MainExited{0},     SignalReceived{SIGTERM}, SignalReceived{SIGHUP},
    ShutdownRequested{}, EssentialFailed{5}, Reload{},        ScriptsDone{},     ServicesStopped{},
    MainKillTimeout{}, SweepDone{}};

}  // namespace

TEST_CASE("init fsm: svinit's lives", "[init_fsm]") {
    for (const auto& life : kSvinitLives) check_life(life);
}

TEST_CASE("init fsm: my_init's lives", "[init_fsm]") {
    for (const auto& life : kMyInitLives) check_life(life);
}

TEST_CASE("init fsm: once done, every event is ignored", "[init_fsm]") {
    for (const InitPolicy& policy : {svinit_rules(true, true), my_init_rules(true, true)}) {
        InitState done;
        done.phase = Phase::Done;
        done.exit_code = 9;
        for (const auto& event : kEveryEvent) {
            INFO(event_name(event));
            InitTransition t = step(done, event, policy);
            CHECK(t.ignored);
            CHECK(t.next == done);
        }
    }
}

TEST_CASE("init fsm: the sweep ends only with SweepDone, and the exit code holds", "[init_fsm]") {
    InitState sweeping;
    sweeping.phase = Phase::Sweeping;
    sweeping.exit_code = 3;
    for (const auto& event : kEveryEvent) {
        INFO(event_name(event));
        InitTransition t = step(sweeping, event, my_init_rules(true, true));
        CHECK(t.next.exit_code == 3);
        const bool sweep_done = std::holds_alternative<SweepDone>(event);
        CHECK(t.next.phase == (sweep_done ? Phase::Done : Phase::Sweeping));
    }
}
