// core::live_processes, what the final sweep waits for as PID 1: every process /proc shows
// but svinit itself, zombies (they have exited; only their parent's wait is missing) and
// kernel threads (which never exit).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "core/kill_sweep.h"

using namespace svinit;

namespace {

bool contains(const std::vector<pid_t>& pids, pid_t pid) {
    return std::find(pids.begin(), pids.end(), pid) != pids.end();
}

}  // namespace

TEST_CASE("live_processes: not itself, not zombies, not kernel threads", "[kill_sweep]") {
    const pid_t sleeper = ::fork();
    REQUIRE(sleeper >= 0);
    if (sleeper == 0) {
        ::execl("/bin/sleep", "sleep", "1000", nullptr);
        ::_exit(127);
    }
    const pid_t zombie = ::fork();
    REQUIRE(zombie >= 0);
    if (zombie == 0) ::_exit(0);
    siginfo_t info{};
    // Waits for its exit without reaping it: a zombie from here on.
    REQUIRE(::waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT) == 0);

    const auto live = core::live_processes(1 << 20);
    CHECK(contains(live, sleeper));
    CHECK_FALSE(contains(live, zombie));
    CHECK_FALSE(contains(live, ::getpid()));
    std::ifstream kthreadd("/proc/2/stat");
    std::string stat;
    if (std::getline(kthreadd, stat) && stat.starts_with("2 (kthreadd)")) {
        CHECK_FALSE(contains(live, 2));
    }
    CHECK(core::live_processes(1).size() == 1);  // the limit holds

    ::kill(sleeper, SIGKILL);
    ::waitpid(sleeper, nullptr, 0);
    ::waitpid(zombie, nullptr, 0);
}
