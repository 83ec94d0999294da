#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/signal_name.h"
#include "launch/my_init_options.h"

using namespace std::chrono_literals;
using svinit::core::parse_signal;
using svinit::launch::MyInitOptions;
using svinit::launch::parse_my_init_options;

namespace {

auto parse(std::vector<std::string_view> args, std::map<std::string, std::string> env = {}) {
    return parse_my_init_options(args, [&env](const char* name) -> const char* {
        auto found = env.find(name);
        return found == env.end() ? nullptr : found->second.c_str();
    });
}

}  // namespace

TEST_CASE("my_init's defaults", "[my_init][options]") {
    auto options = parse({});
    REQUIRE(options);
    CHECK(options->init_directory == "/etc/my_init.d");
    CHECK(options->kill_process_timeout == 30s);
    CHECK(options->kill_all_processes_timeout == 30s);
    CHECK(options->kill_all_on_exit);
    CHECK_FALSE(options->skip_runit);
    CHECK(options->log_level == spdlog::level::info);
    CHECK(options->root == "/");
    CHECK(options->command.empty());
}

TEST_CASE("my_init's flags, then the main command after --", "[my_init][options]") {
    auto options = parse({"--enable-insecure-key", "--skip-startup-files", "--skip-runit",
                          "--no-kill-all-on-exit", "--quiet", "--", "app", "--its-flag"});
    REQUIRE(options);
    CHECK(options->enable_insecure_key);
    CHECK(options->skip_startup_files);
    CHECK(options->skip_runit);
    CHECK_FALSE(options->kill_all_on_exit);
    CHECK(options->log_level == spdlog::level::warn);
    CHECK(options->command == std::vector<std::string>{"app", "--its-flag"});
}

TEST_CASE("the main command may also start without --", "[my_init][options]") {
    auto options = parse({"--quiet", "bash", "-l"});
    REQUIRE(options);
    CHECK(options->command == std::vector<std::string>{"bash", "-l"});
}

TEST_CASE("my_init reads its environment variables", "[my_init][options]") {
    auto options = parse({}, {{"ENV_INIT_DIRECTORY", "/opt/init.d"},
                              {"KILL_PROCESS_TIMEOUT", "5"},
                              {"KILL_ALL_PROCESSES_TIMEOUT", "0.5"}});
    REQUIRE(options);
    CHECK(options->init_directory == "/opt/init.d");
    CHECK(options->kill_process_timeout == 5s);
    CHECK(options->kill_all_processes_timeout == 500ms);
}

TEST_CASE("a bad timeout variable is an error that names it", "[my_init][options]") {
    auto options = parse({}, {{"KILL_PROCESS_TIMEOUT", "soon"}});
    REQUIRE_FALSE(options);
    CHECK(options.error().message().find("KILL_PROCESS_TIMEOUT") != std::string::npos);
}

TEST_CASE("svinit's additions in my_init mode", "[my_init][options]") {
    auto options = parse({"--event-loop=epoll", "--shutdown-signal", "SIGRTMIN+3", "--root", "/r",
                          "--control-socket=/c.sock", "--no-supervise-dir", "cmd"});
    REQUIRE(options);
    CHECK(options->event_loop == svinit::core::LoopKind::Epoll);
    CHECK(options->shutdown_signal == SIGRTMIN + 3);
    CHECK(options->root == "/r");
    CHECK(options->control_socket == "/c.sock");
    CHECK_FALSE(options->supervise_dir);
    CHECK(options->command == std::vector<std::string>{"cmd"});
}

TEST_CASE("unknown flags and missing values are usage errors naming the flag",
          "[my_init][options]") {
    auto unknown = parse({"--skip-everything"});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message().find("--skip-everything") != std::string::npos);
    auto missing = parse({"--root"});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("--root") != std::string::npos);
    auto valued = parse({"--quiet=yes"});
    REQUIRE_FALSE(valued);
    auto bad_signal = parse({"--shutdown-signal", "SIGNOPE"});
    REQUIRE_FALSE(bad_signal);
    CHECK(bad_signal.error().message().find("SIGNOPE") != std::string::npos);
}

TEST_CASE("signal names as Docker's STOPSIGNAL takes them", "[signal]") {
    CHECK(parse_signal("SIGTERM") == SIGTERM);
    CHECK(parse_signal("term") == SIGTERM);
    CHECK(parse_signal("15") == SIGTERM);
    CHECK(parse_signal("SIGQUIT") == SIGQUIT);
    CHECK(parse_signal("USR2") == SIGUSR2);
    CHECK(parse_signal("SIGRTMIN") == SIGRTMIN);
    CHECK(parse_signal("SIGRTMIN+3") == SIGRTMIN + 3);
    CHECK(parse_signal("RTMAX-1") == SIGRTMAX - 1);
    for (auto bad : {"", "SIGKILL", "9", "STOP", "0", "99", "RTMIN-1x", "TERMINATE"}) {
        INFO(bad);
        CHECK_FALSE(parse_signal(bad));
    }
}
