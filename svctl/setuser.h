#pragma once
// `svctl setuser USER COMMAND [ARG...]`, and svctl invoked as `setuser` (a symlink), as
// baseimage-docker's /sbin/setuser: run COMMAND as USER, with USER, HOME, UID (and LOGNAME)
// set from the passwd entry.

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/exit_codes.h"

namespace svinit::svctl {

struct SetuserArgs {
    bool help = false;
    std::string user;                  // a name, or a numeric uid
    std::vector<std::string> command;  // command[0] is searched in PATH; never empty
};

// [-h|--help] [--] USER COMMAND [ARG...]. Everything after USER is COMMAND's, options
// included. Usage errors carry one line; the caller prints it and exits 2.
core::Result<SetuserArgs> parse_setuser_args(std::span<const std::string_view> args);

std::string_view setuser_usage();

// Looks USER up, becomes it (core::become_user), sets USER, HOME, UID and LOGNAME and
// execvp's COMMAND. Returns only when that failed: the exit code, after one line on `err`.
int run_setuser(const SetuserArgs& args, const std::function<void(std::string_view)>& err);

}  // namespace svinit::svctl
