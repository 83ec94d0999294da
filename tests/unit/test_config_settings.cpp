// svinit's flags and its configuration file together: the flags become the loader's request,
// and the file's settings fill in what no flag gave.

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "launch/config_settings.h"
#include "toml_fixture.h"

using namespace std::chrono_literals;
using svinit::launch::apply_settings;
using svinit::launch::load_request;
using svinit::launch::parse_svinit_options;
using svinit::test::TomlFixture;

namespace {

svinit::launch::SvinitOptions parse(std::vector<std::string_view> args) {
    auto options = parse_svinit_options(args);
    REQUIRE(options);
    return *options;
}

// The options `args` give, with the settings of the fixture's main file applied.
svinit::launch::SvinitOptions with_file(const TomlFixture& f, std::vector<std::string_view> args) {
    auto options = parse(args);
    auto request = load_request(options);
    request.default_toml_service_dir = f.file("absent");
    const auto loaded = svinit::config::load_config(request);
    REQUIRE(loaded.ok());
    REQUIRE(apply_settings(loaded, options));
    return options;
}

}  // namespace

TEST_CASE("the flags that set service defaults go to the loader", "[config][launch]") {
    const auto request = load_request(parse({"--config", "/x.toml", "--stop-timeout", "3",
                                             "--healthy-run", "2", "--service-dir", "/s", "app"}));
    CHECK(request.config_file == std::filesystem::path("/x.toml"));
    CHECK(request.flags.stop_timeout == 3s);
    CHECK(request.flags.healthy_run == 2s);
    CHECK_FALSE(request.flags.finish_timeout);
    CHECK_FALSE(request.flags.backoff_min);
    CHECK(request.service_dirs == std::vector<std::filesystem::path>{"/s"});
    CHECK(request.fallback_service_dirs.empty());  // a main command: no /etc/service
}

TEST_CASE("the file's settings apply where no flag was given", "[config][launch]") {
    TomlFixture f;
    f.write("svinit.toml", R"(service-dirs = ["/srv/a"]
control-socket = "/run/file.sock"
control-group = "0"
log-level = "warn"
[defaults]
finish-timeout = "2s"
[defaults.stop]
timeout = "20s"
)");
    auto run = [&f](std::vector<std::string_view> args) { return with_file(f, args); };
    const std::string config = f.file("svinit.toml").string();

    const auto from_file = run({"--config", config, "app"});
    CHECK(from_file.service_dirs == std::vector<std::string>{"/srv/a"});
    CHECK(from_file.control_socket == "/run/file.sock");
    CHECK(from_file.control_group == "0");
    CHECK(from_file.log_level == spdlog::level::warn);
    CHECK(from_file.stop_timeout == 20s);
    CHECK(from_file.finish_timeout == 2s);

    const auto flags = run({"--config", config, "--service-dir", "/b", "--control-socket",
                            "/f.sock", "--control-group", "1", "--log-level", "error",
                            "--stop-timeout", "4", "app"});
    CHECK(flags.service_dirs == std::vector<std::string>{"/b"});
    CHECK(flags.control_socket == "/f.sock");
    CHECK(flags.control_group == "1");
    CHECK(flags.log_level == spdlog::level::err);
    CHECK(flags.stop_timeout == 4s);
    CHECK(flags.finish_timeout == 2s);
}

TEST_CASE("service-output and service-log-* in the file, a flag wins over its key",
          "[config][launch][log]") {
    TomlFixture f;
    f.write("svinit.toml", R"(service-output = "prefix"
service-output-full = "drop"
service-log-prefix = "stream,name"
service-log-dir = "logs"
service-log-max-size = "2M"
service-log-keep = 3
service-log-ring = 4096
)");
    auto run = [&f](std::vector<std::string_view> args) { return with_file(f, args).output; };
    const std::string config = f.file("svinit.toml").string();
    using svinit::services::FullPolicy;
    using svinit::services::OutputMode;

    const auto from_file = run({"--config", config, "app"});
    CHECK(from_file.mode == OutputMode::Prefix);
    CHECK(from_file.when_full == FullPolicy::Drop);
    CHECK(from_file.prefix == *svinit::services::parse_prefix_format("stream,name"));
    CHECK(from_file.dir == f.file("logs"));  // relative to the file
    CHECK(from_file.max_size == 2u << 20);
    CHECK(from_file.keep == 3);
    CHECK(from_file.ring_bytes == 4096);

    const auto flags = run({"--config", config, "--service-output=json", "--service-log-keep=0",
                            "--service-log-dir=/l", "app"});
    CHECK(flags.mode == OutputMode::Json);
    CHECK(flags.keep == 0);
    CHECK(flags.dir == "/l");
    CHECK(flags.when_full == FullPolicy::Drop);  // no flag: the file's
    CHECK(flags.max_size == 2u << 20);
}

TEST_CASE("service-output keys' errors name the key and the value", "[config][log]") {
    TomlFixture f;
    CHECK(f.errors_of(R"(service-output = "loud"
service-log-max-size = "1X"
service-log-keep = 5000
service-log-ring = 0
service-log-prefix = "name,name"
)") == std::vector<std::string>{
               R"(svinit.toml:1:18: service-output: "loud" is not an output mode (inherit, prefix, json or file))",
               R"(svinit.toml:5:22: service-log-prefix: )" +
                   svinit::services::parse_prefix_format("name,name").error().message(),
               R"(svinit.toml:2:24: service-log-max-size: "1X": unknown unit "X" (use K, M, G or T))",
               R"(svinit.toml:4:20: service-log-ring: expected a size from 1 byte to 1T)",
               R"(svinit.toml:3:20: service-log-keep: expected an integer from 0 to 1000, got 5000)",
           });
}
