#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "launch/svinit_options.h"

using namespace std::chrono_literals;
using svinit::core::LoopKind;
using svinit::launch::parse_svinit_options;

namespace {
auto parse(std::vector<std::string_view> args) {
    return parse_svinit_options(args);
}
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

TEST_CASE("every level name the help lists is taken", "[options]") {
    const std::pair<const char*, spdlog::level::level_enum> levels[] = {
        {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
        {"error", spdlog::level::err},   {"off", spdlog::level::off}};
    for (const auto& [name, level] : levels) {
        CAPTURE(name);
        auto options = parse({"--log-level", name, "x"});
        REQUIRE(options);
        CHECK(options->log_level == level);
    }
    auto bad = parse({"--log-level", "warning", "x"});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().starts_with("--log-level: unknown level 'warning'"));
}

TEST_CASE("usage errors name the flag", "[options]") {
    auto unknown = parse({"--frobnicate", "--", "x"});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message() == "unknown option '--frobnicate'");

    auto backwards = parse({"--backoff-min", "5", "--backoff-max", "1", "x"});
    REQUIRE_FALSE(backwards);
    CHECK(backwards.error().message() == "--backoff-max must not be less than --backoff-min");

    auto empty_dir = parse({"--service-dir=", "x"});
    REQUIRE_FALSE(empty_dir);
    CHECK(empty_dir.error().message() == "--service-dir needs a value");

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

TEST_CASE("supervision flags: service dirs repeat, durations in seconds", "[options]") {
    auto options =
        parse({"--service-dir", "/a", "--service-dir=/b", "--control-socket", "/s",
               "--control-group", "wheel", "--stop-timeout", "2", "--finish-timeout", "0.5",
               "--healthy-run", "3", "--backoff-min", "0.01", "--backoff-max", "4"});
    REQUIRE(options);
    CHECK(options->command.empty());  // services alone: the main decides whether that is enough
    CHECK(options->service_dirs == std::vector<std::string>{"/a", "/b"});
    CHECK(options->control_socket == "/s");
    CHECK(options->control_group == "wheel");
    CHECK(options->stop_timeout == 2s);
    CHECK(options->finish_timeout == 500ms);
    CHECK(options->healthy_run == 3s);
    CHECK(options->backoff_min == 10ms);
    CHECK(options->backoff_max == 4s);
}

TEST_CASE("--help and --version need no command", "[options]") {
    auto help = parse({"--help"});
    REQUIRE(help);
    CHECK(help->help);
    auto version = parse({"--version"});
    REQUIRE(version);
    CHECK(version->version);
}

TEST_CASE("the main file comes from --config; --check-config only validates", "[options]") {
    auto options = parse({"--config", "/etc/x.toml", "--check-config"});
    REQUIRE(options);
    CHECK(options->config_file == "/etc/x.toml");
    CHECK(options->check_config);
    CHECK(parse({"--config=/y.toml", "app"})->config_file == "/y.toml");
    CHECK_FALSE(parse({"app"})->config_file);
    CHECK(parse({"--config="}).error().message() == "--config needs a value");
    CHECK(parse({"--check-config=yes"}).error().message() == "--check-config takes no value");
}

TEST_CASE("the flags given are remembered, so that they win over the file", "[options]") {
    auto options = parse({"--stop-timeout=2", "-q", "--control-socket", "/s", "app"});
    REQUIRE(options);
    CHECK(options->given == std::set<std::string, std::less<>>{"--stop-timeout", "-q",
                                                               "--control-socket"});
    // One bound alone is checked against the file's other bound later, by the loader.
    CHECK(parse({"--backoff-min", "60", "app"}));
}

TEST_CASE("the flags --service-output and --service-log-*", "[options][log]") {
    using svinit::services::FullPolicy;
    using svinit::services::OutputMode;
    auto defaults = parse({"x"});
    REQUIRE(defaults);
    CHECK(defaults->output.mode == OutputMode::Inherit);
    CHECK(defaults->output.when_full == FullPolicy::Block);

    auto set = parse({"--service-output=file", "--service-log-dir", "/l", "--service-log-max-size",
                      "2M", "--service-log-keep=0", "--service-log-ring=8K",
                      "--service-output-full=drop", "x"});
    REQUIRE(set);
    CHECK(set->output.mode == OutputMode::File);
    CHECK(set->output.dir == "/l");
    CHECK(set->output.max_size == 2 * 1024 * 1024);
    CHECK(set->output.keep == 0);
    CHECK(set->output.ring_bytes == 8 * 1024);
    CHECK(set->output.when_full == FullPolicy::Drop);

    CHECK(parse({"--service-output=loud", "x"}).error().message() ==
          "--service-output: \"loud\" is not an output mode (inherit, prefix, json or file)");
    CHECK_FALSE(parse({"--service-log-max-size=0", "x"}));
    CHECK_FALSE(parse({"--service-log-max-size=1X", "x"}));
    CHECK_FALSE(parse({"--service-log-keep=-1", "x"}));
    CHECK_FALSE(parse({"--service-output-full=maybe", "x"}));

    using svinit::services::PrefixField;
    CHECK(defaults->output.prefix == svinit::services::PrefixFormat{PrefixField::Name});
    auto prefix = parse({"--service-log-prefix=tai64n,name", "x"});
    REQUIRE(prefix);
    CHECK(prefix->output.prefix ==
          svinit::services::PrefixFormat{PrefixField::Tai64n, PrefixField::Name});
    CHECK_FALSE(parse({"--service-log-prefix=host", "x"}));
}
