#include "svctl/setuser.h"

#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/become_user.h"
#include "core/exit_codes.h"
#include "core/spawn.h"

namespace svinit::svctl {

namespace {

constexpr std::string_view kUsage =
    "usage: setuser USER COMMAND [ARG...]\n"
    "       svctl setuser USER COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND as USER (a name, or a numeric uid in /etc/passwd): its groups from\n"
    "/etc/group, setgid, setuid, then USER, HOME, UID and LOGNAME are set from the passwd\n"
    "entry and COMMAND is executed (searched in PATH). Needs root.\n"
    "\n"
    "Exit status: COMMAND's; 1 no such user or the switch failed, 2 usage,\n"
    "126 COMMAND cannot be executed, 127 COMMAND not found.\n";

}  // namespace

core::Result<SetuserArgs> parse_setuser_args(std::span<const std::string_view> args) {
    SetuserArgs parsed;
    std::size_t i = 0;
    if (i < args.size() && (args[i] == "-h" || args[i] == "--help")) {
        parsed.help = true;
        return parsed;
    }
    if (i < args.size() && args[i] == "--") {
        ++i;
    } else if (i < args.size() && args[i].starts_with("-") && args[i] != "-") {
        return core::error(0, fmt::format("unknown option '{}'", args[i]));
    }
    if (i >= args.size()) return core::error(0, "missing user");
    if (args[i].empty()) return core::error(0, "empty user name");
    parsed.user = std::string(args[i++]);
    if (i >= args.size()) return core::error(0, "missing command");
    parsed.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    return parsed;
}

std::string_view setuser_usage() {
    return kUsage;
}

int run_setuser(const SetuserArgs& args, const std::function<void(std::string_view)>& err) {
    auto found = core::lookup_user(args.user);
    if (!found) {
        err("setuser: " + found.error().message());
        return exit_code::kSetuserFailed;
    }
    if (!*found) {
        err(fmt::format("setuser: no user named '{}'", args.user));
        return exit_code::kSetuserFailed;
    }
    const core::UserInfo& user = **found;
    if (auto ok = core::become_user(user); !ok) {
        err(fmt::format("setuser: cannot become {}: {}", user.name, ok.error().message()));
        return exit_code::kSetuserFailed;
    }
    // my_init's setuser sets USER, HOME and UID; LOGNAME too, since login(1) sets both names.
    const std::string uid = std::to_string(user.uid);
    for (const auto& [name, value] :
         {std::pair<const char*, const std::string*>{"USER", &user.name},
          {"LOGNAME", &user.name},
          {"HOME", &user.home},
          {"UID", &uid}}) {
        if (::setenv(name, value->c_str(), 1) != 0) {
            err(fmt::format("setuser: setenv {}: {}", name, std::strerror(errno)));
            return exit_code::kSetuserFailed;
        }
    }
    // Searched in PATH as the new user, as svinit finds its main command (an unsearchable
    // PATH directory is skipped, where execvp would report EACCES).
    const char* path_env = ::getenv("PATH");
    auto path = core::resolve_command(args.command.front(), path_env ? path_env : "");
    int exec_errno = 0;
    if (path) {
        std::vector<char*> argv;
        argv.reserve(args.command.size() + 1);
        for (const std::string& arg : args.command) argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        ::execv(path->c_str(), argv.data());
        exec_errno = errno;
    } else {
        exec_errno = path.error().code;
    }
    err(fmt::format("setuser: cannot execute '{}': {}", args.command.front(),
                    std::strerror(exec_errno)));
    return exec_errno == ENOENT ? exit_code::kNotFound : exit_code::kCannotExecute;
}

}  // namespace svinit::svctl
