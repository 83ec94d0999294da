// svctl: argv, the socket, the terminal and exit codes. Invoked as `sv` (a symlink) it
// speaks runit's sv; as `setuser`, it is `svctl setuser`. The work is done in svctl_run.cpp,
// svctl_sv.cpp and svctl_setuser.cpp.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/exit_codes.h"
#include "core/program_name.h"
#include "svctl/args.h"
#include "svctl/client.h"
#include "svctl/run.h"
#include "svctl/setuser.h"
#include "svctl/sv.h"

namespace {

using namespace svinit;

std::optional<std::string_view> env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string_view(value);
}

// stdout is flushed before anything that waits and before any line on stderr, not after
// each line: 10,000 status lines are then a few writes, not 10,000, in the same order.
void print_line(std::FILE* stream, std::string_view line) {
    if (stream == stderr) std::fflush(stdout);
    std::fwrite(line.data(), 1, line.size(), stream);
    std::fputc('\n', stream);
    if (stream == stderr) std::fflush(stream);
}

void print(std::FILE* stream, std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stream);
}

svctl::RunContext make_context(svctl::ControlClient& client) {
    svctl::RunContext context;
    context.exchange = [&client](const control::Request& request,
                                 std::optional<std::chrono::milliseconds> timeout) {
        std::fflush(stdout);
        return client.exchange(request, timeout);
    };
    context.next = [&client] {
        std::fflush(stdout);
        return client.next_response();
    };
    context.out = [](std::string_view line) { print_line(stdout, line); };
    context.err = [](std::string_view line) { print_line(stderr, line); };
    context.wall_now = [] { return std::chrono::system_clock::now(); };
    context.steady_now = [] { return std::chrono::steady_clock::now(); };
    context.socket_path = client.socket_path();
    std::error_code ec;
    context.cwd = std::filesystem::current_path(ec).string();  // empty: paths go as given
    return context;
}

std::string socket_path() {
    auto from_env = env("SVINIT_SOCKET");
    return from_env && !from_env->empty() ? std::string(*from_env)
                                          : std::string(svctl::kDefaultSocketPath);
}

int sv_main(std::span<const std::string_view> args) {
    auto parsed = svctl::parse_sv_args(args, env("SVWAIT"));
    if (!parsed || parsed->version) {
        if (parsed) print(stderr, "sv (svctl " SVINIT_VERSION ")\n");
        print(stderr, svctl::sv_usage());
        return svctl::kSvUsageExit;
    }
    svctl::ControlClient client(socket_path());
    return svctl::run_sv(*parsed, make_context(client));
}

int setuser_main(std::span<const std::string_view> args) {
    auto parsed = svctl::parse_setuser_args(args);
    if (!parsed) {
        print_line(stderr, "setuser: " + parsed.error().message());
        print(stderr, "Try 'setuser --help'.\n");
        return exit_code::kUsage;
    }
    if (parsed->help) {
        print(stdout, svctl::setuser_usage());
        return exit_code::kOk;
    }
    return svctl::run_setuser(*parsed, [](std::string_view line) { print_line(stderr, line); });
}

int svctl_main(std::span<const std::string_view> args) {
    // Before svctl's own options: everything after USER belongs to the command.
    if (!args.empty() && args.front() == "setuser") return setuser_main(args.subspan(1));
    auto parsed = svctl::parse_svctl_args(args, env("SVINIT_SOCKET"));
    if (!parsed) {
        print_line(stderr, "svctl: " + parsed.error().message());
        print(stderr, "Try 'svctl --help'.\n");
        return exit_code::kUsage;
    }
    switch (parsed->action) {
        case svctl::SvctlAction::Help:
            print(stdout, svctl::svctl_usage());
            return exit_code::kOk;
        case svctl::SvctlAction::Version:
            print(stdout, "svctl " SVINIT_VERSION "\n");
            return exit_code::kOk;
        case svctl::SvctlAction::Run:
            break;
    }
    svctl::ControlClient client(parsed->socket_path);
    return svctl::run_svctl(*parsed, make_context(client));
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    if (argc > 0 && core::invoked_as(argv[0], "sv")) return sv_main(args);
    if (argc > 0 && core::invoked_as(argv[0], "setuser")) return setuser_main(args);
    return svctl_main(args);
}
