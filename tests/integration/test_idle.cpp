// An idle svinit costs nothing: no timer ticks, so not a single context switch while nothing
// happens.

#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "support/procfs.h"
#include "support/svinit.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// svinit may still be finishing its start when the command's first line arrives. Nothing
// signals "now blocked in the event loop", so poll its state, bounded, until it sleeps.
void wait_until_asleep(pid_t pid) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    std::optional<char> state;
    while ((state = process_state(pid)) != 'S' && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    INFO("state of svinit (host pid " << pid << "): " << state.value_or('?'));
    REQUIRE(state == 'S');
}

}  // namespace

TEST_CASE("an idle svinit makes no context switches", "[idle]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);

    Process svinit = harness.start({}, {"sh", "-c", "echo ready; exec sleep 1000"});
    expect_line(svinit, "ready");
    const std::optional<pid_t> pid1 = svinit_host_pid(svinit);
    REQUIRE(pid1.has_value());
    wait_until_asleep(*pid1);

    const std::optional<ContextSwitches> before = context_switches(*pid1);
    REQUIRE(before.has_value());
    std::this_thread::sleep_for(5s);  // the measurement window; nothing waits on it
    const std::optional<ContextSwitches> after = context_switches(*pid1);
    REQUIRE(after.has_value());
    INFO("voluntary " << before->voluntary << " -> " << after->voluntary << ", nonvoluntary "
                      << before->nonvoluntary << " -> " << after->nonvoluntary);
    CHECK(after->total() - before->total() == 0);

    // SIGTERM goes on to sleep, which dies of it: 128 + 15.
    REQUIRE(::kill(*pid1, SIGTERM) == 0);
    const int status = svinit.wait(10s);
    CHECK(status == 128 + 15);
}
