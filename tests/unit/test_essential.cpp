// When an essential service has failed for good, and the exit code svinit then ends with.

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>

#include "services/essential.h"

using namespace svinit::services;
using namespace std::chrono_literals;

namespace {

ServiceState failed(FailReason reason, std::optional<ExitStatus> last, int spawn_error = 0) {
    ServiceState s;
    s.state = State::Failed;
    s.want = Want::Up;
    s.fail_reason = reason;
    s.last_exit = last;
    s.last_run = spawn_error != 0 ? Duration::zero() : Duration(200ms);
    s.spawn_error = spawn_error;
    return s;
}

}  // namespace

TEST_CASE("essential: only a failure for good ends svinit", "[essential]") {
    CHECK(essential_exit_code(failed(FailReason::NoRestart, ExitStatus::exited(7))) == 7);
    CHECK(essential_exit_code(failed(FailReason::StartLimit, ExitStatus::exited(3))) == 3);
    CHECK(essential_exit_code(failed(FailReason::FinishSaidNoRestart, ExitStatus::exited(2))) == 2);

    ServiceState backing_off = failed(FailReason::ExitedQuickly, ExitStatus::exited(3));
    backing_off.state = State::Backoff;
    CHECK_FALSE(essential_exit_code(backing_off));
    ServiceState down;  // stopped by the operator, or done under on-failure
    down.last_exit = ExitStatus::exited(0);
    CHECK_FALSE(essential_exit_code(down));
    ServiceState running;
    running.state = State::Run;
    CHECK_FALSE(essential_exit_code(running));
}

TEST_CASE("essential: the status as a shell reports it", "[essential]") {
    CHECK(essential_exit_code(failed(FailReason::StartLimit, ExitStatus::signaled(SIGKILL))) ==
          128 + SIGKILL);
    // Failed, though the last run exited 0 (restart always, start limit hit): still a failure.
    CHECK(essential_exit_code(failed(FailReason::StartLimit, ExitStatus::exited(0))) == 1);
    // The last attempt never ran: the spawn error, as for a main command.
    CHECK(essential_exit_code(failed(FailReason::StartLimit, ExitStatus::exited(3), ENOENT)) ==
          127);
    CHECK(essential_exit_code(failed(FailReason::StartLimit, std::nullopt, EACCES)) == 126);
    CHECK(essential_exit_code(failed(FailReason::StartLimit, std::nullopt, ENOMEM)) == 1);
}
