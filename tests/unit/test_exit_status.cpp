#include <signal.h>

#include <catch2/catch.hpp>

#include "core/exit_status.h"

using svinit::core::decode_exit;
using svinit::core::ExitStatus;

namespace {
siginfo_t child_info(int code, int status) {
    siginfo_t info{};
    info.si_code = code;
    info.si_status = status;
    return info;
}
}  // namespace

TEST_CASE("a normal exit passes its code on", "[exit_status]") {
    auto status = decode_exit(child_info(CLD_EXITED, 3));
    CHECK(status == ExitStatus::exited(3));
    CHECK(status.shell_code() == 3);
    CHECK(status.describe() == "status 3");
}

TEST_CASE("death by signal N becomes 128+N", "[exit_status]") {
    auto status = decode_exit(child_info(CLD_KILLED, SIGKILL));
    CHECK(status == ExitStatus::signaled(SIGKILL));
    CHECK(status.shell_code() == 137);
    CHECK(status.describe() == "signal 9 (Killed)");
}

TEST_CASE("a core dump is a signal death that says so", "[exit_status]") {
    auto status = decode_exit(child_info(CLD_DUMPED, SIGSEGV));
    CHECK(status.shell_code() == 128 + SIGSEGV);
    CHECK(status.core_dumped);
    CHECK(status.describe() == "signal 11 (Segmentation fault, core dumped)");
}
