#include <catch2/catch.hpp>

#include <string_view>
#include <vector>

#include "cmd/svinit_options.h"

using namespace std::chrono_literals;
using svinit::cmd::parse_svinit_options;
using svinit::core::LoopKind;

namespace {
auto parse(std::vector<std::string_view> args) { return parse_svinit_options(args); }
}  // namespace

TEST_CASE("the command follows --", "[options]") {
    auto options = parse({"--kill-grace", "0.5", "--", "app", "--flag", "x"});
    REQUIRE(options);
    CHECK(options->command == std::vector<std::string>{"app", "--flag", "x"});
    CHECK(options->kill_grace == 500ms);
    CHECK(options->kill_all_on_exit);
}

TEST_CASE("the command may start without --, as with tini", "[options]") {
    auto options = parse({"-g", "app", "--not-ours"});
    REQUIRE(options);
    CHECK(options->signal_group);
    CHECK(options->command == std::vector<std::string>{"app", "--not-ours"});
}

TEST_CASE("flags take values inline or as the next argument", "[options]") {
    auto a = parse({"--event-loop=epoll", "--log-level=debug", "--no-kill-all-on-exit", "x"});
    REQUIRE(a);
    CHECK(a->event_loop == LoopKind::Epoll);
    CHECK(a->log_level == spdlog::level::debug);
    CHECK_FALSE(a->kill_all_on_exit);
    auto b = parse({"--event-loop", "io_uring", "--quiet", "x"});
    REQUIRE(b);
    CHECK(b->event_loop == LoopKind::IoUring);
    CHECK(b->log_level == spdlog::level::warn);
}

TEST_CASE("usage errors name the flag", "[options]") {
    auto unknown = parse({"--frobnicate", "--", "x"});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message() == "unknown option '--frobnicate'");

    auto no_command = parse({"--quiet"});
    REQUIRE_FALSE(no_command);
    CHECK(no_command.error().message() == "no command given");

    auto bad_grace = parse({"--kill-grace", "-1", "x"});
    REQUIRE_FALSE(bad_grace);
    CHECK_THAT(bad_grace.error().message(), Catch::StartsWith("--kill-grace:"));

    auto bad_loop = parse({"--event-loop=kqueue", "x"});
    REQUIRE_FALSE(bad_loop);
    CHECK_THAT(bad_loop.error().message(), Catch::Contains("kqueue"));

    auto missing_value = parse({"--kill-grace"});
    REQUIRE_FALSE(missing_value);
    CHECK(missing_value.error().message() == "--kill-grace needs a value");

    auto stray_value = parse({"--quiet=yes", "x"});
    REQUIRE_FALSE(stray_value);
    CHECK(stray_value.error().message() == "--quiet takes no value");
}

TEST_CASE("--help and --version need no command", "[options]") {
    auto help = parse({"--help"});
    REQUIRE(help);
    CHECK(help->help);
    auto version = parse({"--version"});
    REQUIRE(version);
    CHECK(version->version);
}
