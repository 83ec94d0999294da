#pragma once
// runit service directories -> ServiceSpec values.
//
// A service directory (`--service-dir DIR`, default /etc/service) holds one entry per
// service, as runsvdir reads it:
//
//   DIR/NAME/          a directory, or a symlink to one
//            run       executable: the service; run with NAME/ as working directory
//            finish    executable, optional: runs after run exits
//            down      any file: the service is not started at boot (normally down)
//            log/run   optional logger; log/ is its working directory, and
//            log/finish, log/down apply to it as they do to the service
//            control/C optional, executable: runs before svinit acts on command C
//                      (runsv's control scripts, for C in kControlScripts; none for
//                      the logger, as runsv runs none for it)
//
// Hidden entries (".name") and entries that are not directories are skipped silently,
// and so is a directory without `run` (it is not a service yet: a `run` may appear
// later). Everything else that stops a file from being used becomes a Diagnostic, and
// scanning goes on: a broken service never hides the others.

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

#include "services/service_spec.h"

namespace svinit::config {

// Bounds, so a runaway directory cannot make PID 1 grow without limit.
inline constexpr std::size_t kMaxServices = 10'000;
inline constexpr std::size_t kMaxEntriesPerDir = 100'000;  // names read from one DIR

// The control scripts runsv runs, control/C (runsv(8)); `o` is not among them: runsv
// takes it as `u`.
inline constexpr const char* kControlScripts = "udxtkpchaiq12";

struct ScanResult {
    std::vector<services::ServiceSpec> services;  // sorted by name, names unique
    std::vector<services::Diagnostic> diagnostics;
};

// Reads every DIR in `dirs`. Never throws (bar std::bad_alloc) and never fails as a
// whole: a missing or unreadable DIR is a Diagnostic.
//  - Paths are kept as given (DIR/NAME, symlinks not resolved), as users wrote them.
//  - A NAME present in several DIRs: the first DIR that has it as a service wins; the
//    later ones get a Diagnostic.
//  - `run`/`finish`/`log/run` that exist but are not executable regular files get a
//    Diagnostic ("DIR/web/run: not executable (chmod +x)"). Without a usable `run` the
//    service is left out; an unusable `finish` is ignored; an unusable logger is
//    ignored and the service runs without one.
//  - A symlink whose target does not exist gets a Diagnostic (a likely typo in `ln -s`),
//    whether it is NAME itself or its run, finish or log/run.
//  - A NAME with a control character (bytes below 0x20, and 0x7f) is never a service: it
//    would split or forge the one-line-per-service output of `sv status`. A directory with
//    a `run` under such a name gets a Diagnostic naming it with the bytes escaped ("\n").
//  - Beyond `max_services` the rest are left out, with one Diagnostic.
ScanResult scan_service_dirs(std::span<const std::filesystem::path> dirs,
                             std::size_t max_services = kMaxServices);

}  // namespace svinit::config
