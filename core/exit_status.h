#pragma once
// How a child ended, decoded once from waitid's siginfo.

#include <signal.h>

#include <string>

namespace svinit::core {

struct ExitStatus {
    enum class Kind { Exited, Signaled };
    Kind kind = Kind::Exited;
    int value = 0;  // the exit code, or the signal number
    bool core_dumped = false;

    static ExitStatus exited(int code) { return {Kind::Exited, code, false}; }
    static ExitStatus signaled(int sig, bool core = false) { return {Kind::Signaled, sig, core}; }

    // What an init passes on: the exit code, or 128+N for death by signal N.
    int shell_code() const noexcept { return kind == Kind::Exited ? value : 128 + value; }

    // "status 3", "signal 9 (Killed)", "signal 11 (Segmentation fault, core dumped)".
    std::string describe() const;

    bool operator==(const ExitStatus&) const = default;
};

// Decodes a CLD_EXITED / CLD_KILLED / CLD_DUMPED siginfo from waitid.
ExitStatus decode_exit(const siginfo_t& info) noexcept;

}  // namespace svinit::core
