#pragma once
// Every exit code svinit, svctl and their other names (my_init, sv, setuser) use, in one
// place, as documented in docs/svinit.md and docs/svctl.md.

namespace svinit::exit_code {

// Shared by every command.
inline constexpr int kOk = 0;
inline constexpr int kUsage = 2;            // a bad flag or argument
inline constexpr int kSandboxSetup = 125;   // a sandbox could not be set up (as docker run's 125)
inline constexpr int kCannotExecute = 126;  // the program exists but cannot run
inline constexpr int kNotFound = 127;       // the program is missing
inline constexpr int kSignalBase = 128;     // a child killed by signal N: 128+N

// svinit
inline constexpr int kInternal = 1;  // svinit could not start its own machinery
inline constexpr int kConfig = 1;    // --check-config found errors

// svinit in my_init mode (baseimage-docker's codes)
inline constexpr int kStartupFailed = 1;  // a startup script failed
inline constexpr int kAborted = 2;        // "Init system aborted." after a shutdown signal
inline constexpr int kMyInitRefused = 1;  // my_init's own refusals (--skip-runit alone)

// svctl (sv mode has runit's: the number of failed services, 100 for usage errors)
inline constexpr int kFailed = 1;       // the operation failed or timed out
inline constexpr int kUnreachable = 3;  // no answer from svinit
inline constexpr int kPermissionDenied = 4;
inline constexpr int kUnknownService = 5;

// setuser
inline constexpr int kSetuserFailed = 1;  // no such user, or switching to it failed

}  // namespace svinit::exit_code
