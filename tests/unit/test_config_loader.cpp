// The whole configuration: the main file's settings and defaults, service files in TOML
// directories, runit directories beside them, names defined twice, dependencies, cycles,
// env files, and the bounds that keep a hostile file from hurting PID 1.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/runit_dir.h"
#include "config/toml_document.h"
#include "toml_fixture.h"

using namespace std::chrono_literals;
using namespace svinit::services;
using svinit::config::LoadedConfig;
using svinit::test::TomlFixture;
using Strings = std::vector<std::string>;
namespace fs = std::filesystem;

namespace {

Strings names(const LoadedConfig& loaded) {
    Strings out;
    for (const auto& spec : loaded.services) out.push_back(spec.name);
    return out;
}

}  // namespace

TEST_CASE("global settings, relative paths against the file's directory", "[config][loader]") {
    TomlFixture f;
    const auto loaded = f.load(R"(service-dirs = ["runit", "/srv/runit"]
toml-service-dirs = ["services.d"]
control-socket = "run/control.sock"
control-group = "adm"
log-level = "debug"
)");
    // The listed directories do not exist: an error for the TOML one; the runit ones are
    // problems svinit warns about at run time (and --check-config reports).
    CHECK(f.errors(loaded) ==
          Strings{"services.d: cannot read TOML service directory: No such file or directory"});
    CHECK(loaded.service_dir_problems.size() == 2);
    const auto& settings = loaded.settings;
    CHECK(settings.service_dirs == std::vector<fs::path>{f.tmp.path / "runit", "/srv/runit"});
    CHECK(settings.toml_service_dirs == std::vector<fs::path>{f.tmp.path / "services.d"});
    CHECK(settings.control_socket == (f.tmp.path / "run/control.sock").string());
    CHECK(settings.control_group == "adm");
    CHECK(settings.log_level == "debug");
    CHECK(loaded.service_dirs == std::vector<fs::path>{f.tmp.path / "runit", "/srv/runit"});
    CHECK(settings.origins.at("log-level").describe() == f.file("svinit.toml").string() + ":5:13");
}

TEST_CASE("global settings' errors", "[config][loader]") {
    TomlFixture f;
    CHECK(f.errors_of(R"(log-level = "verbose"
control-socket = 5
service-dirs = "/etc/service"
servce-dirs = []
services = 5
[defaults.stop]
command = ["x"]
)") == Strings{
           R"(svinit.toml:3:16: service-dirs: expected an array of strings, got string "/etc/service")",
           R"(svinit.toml:2:18: control-socket: expected a string, got integer 5)",
           R"(svinit.toml:1:13: log-level: expected one of trace, debug, info, warn, error, off, got "verbose")",
           R"(svinit.toml:7:1: defaults.stop.command: unknown key)",
           R"(svinit.toml:4:1: servce-dirs: unknown key; did you mean "service-dirs"?)",
           R"(svinit.toml:5:12: services: expected a table of services ([services.NAME]), got integer 5)",
       });
}

TEST_CASE("[defaults] apply to every service that does not say, flags win over them",
          "[config][loader]") {
    TomlFixture f;
    f.write("svinit.toml", R"([defaults]
finish-timeout = "7s"
[defaults.restart]
policy = "on-failure"
backoff = { initial = "1s", max = "1m" }
[defaults.stop]
timeout = "20s"
signal = "INT"
[defaults.readiness]
timeout = "5m"

[services.web]
command = ["web"]
readiness = { type = "notify" }
[services.own]
command = ["own"]
restart = { policy = "always" }
stop = { timeout = "1s" }
)");
    fs::create_directories(f.file("runit/old"));
    svinit::test::make_service(f.file("runit/old"));
    auto request = f.request();
    request.service_dirs = {f.file("runit")};
    request.flags.stop_timeout = 3s;
    request.flags.backoff_min = 2s;
    const auto loaded = svinit::config::load_config(request);
    CAPTURE(f.errors(loaded));
    REQUIRE(loaded.ok());
    REQUIRE(names(loaded) == Strings{"old", "own", "web"});
    const ServiceSpec& old = loaded.services[0];
    const ServiceSpec& own = loaded.services[1];
    const ServiceSpec& web = loaded.services[2];
    const std::string main = f.file("svinit.toml").string();

    CHECK(web.restart.policy == RestartPolicy::OnFailure);
    CHECK(web.origins.of("restart.policy").describe() == main + ":4:10");
    CHECK(web.restart.backoff_initial == 2s);
    CHECK(web.origins.of("restart.backoff.initial").describe() == "--backoff-min");
    CHECK(web.restart.backoff_max == 1min);
    CHECK(web.stop.timeout == 3s);
    CHECK(web.origins.of("stop.timeout").describe() == "--stop-timeout");
    CHECK(web.stop.signal == SIGINT);
    CHECK(web.stop.kill == KillMode::Group);
    CHECK(web.readiness.timeout == 5min);
    CHECK(web.origins.of("readiness.timeout").describe() == main + ":10:11");

    CHECK(own.restart.policy == RestartPolicy::Always);
    CHECK(own.stop.timeout == 1s);
    CHECK(own.origins.of("stop.timeout").describe() == main + ":18:20");

    // A runit directory gets the same defaults, but keeps runsv's kill of the process.
    CHECK(old.source == SourceKind::RunitDir);
    CHECK(old.restart.policy == RestartPolicy::OnFailure);
    CHECK(old.stop.timeout == 3s);
    CHECK(old.stop.signal == SIGINT);
    CHECK(old.stop.kill == KillMode::Process);
    CHECK(old.finish_timeout == 7s);
    CHECK(old.main.run == f.file("runit/old/run"));
    CHECK(old.origins.defined_at.describe() == f.file("runit/old").string());
    CHECK(loaded.toml_services == 2);
}

TEST_CASE("a flag against the file's other backoff bound is an error naming both",
          "[config][loader]") {
    TomlFixture f;
    f.write("svinit.toml", "[defaults.restart]\nbackoff = { max = \"1s\" }\n");
    auto request = f.request();
    request.flags.backoff_min = 5s;
    CHECK(f.errors(svinit::config::load_config(request)) ==
          Strings{"svinit.toml:2:19: defaults.restart.backoff: max (1s, from svinit.toml:2:19) "
                  "must not be less than initial (5s, from --backoff-min)"});
    // Both from flags: no line to name.
    f.write("svinit.toml", "");
    request.flags.backoff_max = 1s;
    CHECK(f.errors(svinit::config::load_config(request)) ==
          Strings{"svinit.toml: defaults.restart.backoff: max (1s, from --backoff-max) must "
                  "not be less than initial (5s, from --backoff-min)"});
}

TEST_CASE("service files: one per service, named after the file", "[config][loader]") {
    TomlFixture f;
    f.write("svinit.toml", "toml-service-dirs = [\"services.d\"]\n");
    f.write("services.d/web.toml", "command = [\"web\"]\nrequires = [\"db\"]\n");
    f.write("services.d/db.toml", "command = [\"db\"]\n");
    f.write("services.d/README", "not a service");
    f.write("services.d/.hidden.toml", "not = \"read\"");
    f.write("services.d/web.toml~", "an editor's backup");
    const auto loaded = svinit::config::load_config(f.request());
    CAPTURE(f.errors(loaded));
    REQUIRE(loaded.ok());
    CHECK(names(loaded) == Strings{"db", "web"});
    const ServiceSpec& web = loaded.services[1];
    CHECK(web.origins.defined_at.describe() == f.file("services.d/web.toml").string());
    CHECK(web.origins.of("requires").describe() ==
          f.file("services.d/web.toml").string() + ":2:12");
}

TEST_CASE("service file errors name the file and the service", "[config][loader]") {
    TomlFixture f;
    f.write("svinit.toml", "toml-service-dirs = [\"services.d\"]\n");
    f.write("services.d/web.toml", "command = [\"web\"]\n[restart]\npolicy = \"alwayz\"\n");
    f.write("services.d/bad name.toml", "command = [\"x\"]\n");
    f.write("services.d/broken.toml", "command = [\n");
    CHECK(f.errors(svinit::config::load_config(f.request())) ==
          Strings{
              "services.d/bad name.toml: \"bad name\" is not a service name (1 to 128 letters, "
              "digits and _ . @ + -, not starting with . or -)",
              "services.d/broken.toml:1:13: TOML syntax error: Error while parsing array: "
              "encountered end-of-file",
              "services.d/web.toml:3:10: services.web.restart.policy: expected one of always, "
              "on-failure, never, got \"alwayz\"; did you mean \"always\"?",
          });
}

TEST_CASE("the default TOML directory is read when it exists, and may be missing",
          "[config][loader]") {
    TomlFixture f;
    auto request = f.request(false);
    CHECK(svinit::config::load_config(request).ok());
    request.default_toml_service_dir = f.file("services.d");
    f.write("services.d/web.toml", "command = [\"web\"]\n");
    const auto loaded = svinit::config::load_config(request);
    CHECK(loaded.ok());
    CHECK(names(loaded) == Strings{"web"});
    CHECK_FALSE(loaded.config_file);

    // An explicit --config must exist.
    request.config_file = f.file("nope.toml");
    CHECK(f.errors(svinit::config::load_config(request)) ==
          Strings{"nope.toml: cannot open: No such file or directory"});
}

TEST_CASE("a name defined twice is an error naming both places", "[config][loader]") {
    TomlFixture f;
    f.write("svinit.toml", R"(toml-service-dirs = ["a", "b"]
service-dirs = ["runit"]
[services.web]
command = ["web"]
)");
    f.write("a/web.toml", "command = [\"web\"]\n");
    f.write("a/db.toml", "command = [\"db\"]\n");
    f.write("b/db.toml", "command = [\"db\"]\n");
    f.write("b/log.toml", "command = [\"log\"]\n");
    svinit::test::make_service(f.file("runit/log"));
    const auto loaded = svinit::config::load_config(f.request());
    CHECK(f.errors(loaded) ==
          Strings{"a/web.toml: service web is defined twice: here and at svinit.toml:3:11",
                  "b/db.toml: service db is defined twice: here and at a/db.toml",
                  "runit/log: service log is defined twice: here and at b/log.toml"});
}

TEST_CASE("dependencies must name services; runit ones count", "[config][loader]") {
    TomlFixture f;
    svinit::test::make_service(f.file("runit/cron"));
    f.write("svinit.toml", R"(service-dirs = ["runit"]
[services.web]
command = ["web"]
requires = ["dbb", "cron"]
after = ["nothing-like-it"]
[services.db]
command = ["db"]
)");
    CHECK(
        f.errors(svinit::config::load_config(f.request())) ==
        Strings{
            R"(svinit.toml:4:13: services.web.requires: no service named "dbb"; did you mean "db"?)",
            R"(svinit.toml:5:10: services.web.after: no service named "nothing-like-it")"});
}

TEST_CASE("a dependency cycle is spelled out where its first step is written", "[config][loader]") {
    TomlFixture f;
    CHECK(f.errors_of(R"([services.web]
command = ["web"]
requires = ["api"]
[services.api]
command = ["api"]
wants = ["db"]
[services.db]
command = ["db"]
after = ["web"]
[services.lone]
command = ["lone"]
before = ["lone"]
)") == Strings{R"(svinit.toml:6:10: services.api.wants: dependency cycle: api -> db -> web -> api)",
               R"(svinit.toml:12:11: services.lone.before: dependency cycle: lone -> lone)"});
}

TEST_CASE("env-file: read at load, relative to the file, the table wins", "[config][loader]") {
    TomlFixture f;
    f.write("web.env", "MODE=dev\nPORT=80\n# comment\n");
    auto web = f.service_of(R"([services.web]
command = ["web"]
env-file = "web.env"
environment = { MODE = "prod" }
working-directory = "srv/../app"
)");
    CHECK(web.main.exec.env_file == f.file("web.env"));
    CHECK(web.main.exec.environment ==
          std::map<std::string, std::string>{{"MODE", "prod"}, {"PORT", "80"}});
    CHECK(web.origins.of("environment.PORT").describe() == f.file("web.env").string() + ":2");
    CHECK(web.origins.of("environment.MODE").describe() ==
          f.file("svinit.toml").string() + ":4:24");
    CHECK(web.main.dir == f.file("app"));

    f.write("bad.env", "OK=1\nnot a line\n");
    CHECK(f.errors_of("[services.web]\ncommand = [\"web\"]\nenv-file = \"bad.env\"\n") ==
          Strings{"bad.env:2: expected NAME=VALUE, got \"not a line\""});
    CHECK(f.errors_of("[services.web]\ncommand = [\"web\"]\nenv-file = \"none.env\"\n") ==
          Strings{"svinit.toml:3:12: services.web.env-file: none.env: cannot open: No such "
                  "file or directory"});
}

TEST_CASE("runit directories' problems are kept apart from the configuration's errors",
          "[config][loader]") {
    TomlFixture f;
    svinit::test::write_file(f.file("runit/web/run"), svinit::test::kPlain);
    svinit::test::make_service(f.file("runit/cron"));
    f.write("svinit.toml", "service-dirs = [\"runit\"]\n");
    const auto loaded = svinit::config::load_config(f.request());
    CHECK(loaded.ok());
    REQUIRE(loaded.service_dir_problems.size() == 1);
    CHECK(loaded.service_dir_problems[0].describe() ==
          f.file("runit/web/run").string() + ": not executable (chmod +x)");
    CHECK(names(loaded) == Strings{"cron"});
}

TEST_CASE("hostile files neither block nor grow without bound", "[config][loader]") {
    TomlFixture f;
    SECTION("a FIFO is refused without waiting for a writer") {
        fs::create_directories(f.file("services.d"));
        REQUIRE(::mkfifo(f.file("services.d/web.toml").c_str(), 0600) == 0);
        REQUIRE(::mkfifo(f.file("svinit.toml").c_str(), 0600) == 0);
        auto request = f.request();
        request.default_toml_service_dir = f.file("services.d");
        CHECK(
            f.errors(svinit::config::load_config(request)) ==
            Strings{"svinit.toml: not a regular file", "services.d/web.toml: not a regular file"});
    }
    SECTION("a file too large") {
        std::string text = "# " + std::string(svinit::config::kMaxConfigFileBytes, 'x') + "\n";
        CHECK(f.errors_of(text) == Strings{"svinit.toml: larger than 4194304 bytes"});
    }
    SECTION("keys nested deeper than toml++ survives") {
        std::string deep = "[a";
        for (int i = 0; i < 100'000; ++i) deep += ".a";
        CHECK(f.errors_of(deep + "]\n") ==
              Strings{"svinit.toml:1:1: keys nested too deeply (more than 256 dots on one line)"});
        // Dots inside strings and comments are not keys.
        CHECK(f.errors_of("# " + std::string(1000, '.') + "\nlog-level = \"info\"\n").empty());
        CHECK(f.errors_of("control-socket = \"" + std::string(1000, '.') + "\"\n").empty());
        CHECK(f.errors_of("control-socket = '''\n" + std::string(1000, '.') + "'''\n").empty());
    }
    SECTION("too many services") {
        std::string text;
        for (std::size_t i = 0; i <= svinit::config::kMaxServices; ++i) {
            text += "services.s" + std::to_string(i) + ".command = [\"x\"]\n";
        }
        const auto loaded = f.load(text);
        CHECK(f.errors(loaded) ==
              Strings{"svinit.toml:10000:10: more than 10000 services; this one and the rest are "
                      "ignored"});
    }
    SECTION("many files may not add up to more than the total") {
        f.write("svinit.toml", "toml-service-dirs = [\"d\"]\n");
        const std::string body = "command = [\"x\"]\n# " + std::string(1000, 'x') + "\n";
        for (const char* name : {"a", "b", "c"}) f.write(std::string("d/") + name + ".toml", body);
        auto request = f.request();
        request.max_total_bytes = 2 * body.size() + 100;
        const auto loaded = svinit::config::load_config(request);
        CHECK(f.errors(loaded) ==
              Strings{"d/c.toml: the configuration files hold more than 2138 bytes in all"});
    }
    SECTION("a TOML directory is not read past the number of services") {
        f.write("svinit.toml", "toml-service-dirs = [\"d\"]\n");
        for (int i = 0; i < 3; ++i)
            f.write("d/s" + std::to_string(i) + ".toml", "command = [\"x\"]\n");
        f.write("d/s3.toml", "not valid TOML, and never read");
        f.write("d/s4.toml", "not valid TOML, and never read");
        auto request = f.request();
        request.max_services = 3;
        CHECK(f.errors(svinit::config::load_config(request)) ==
              Strings{"d/s3.toml: more than 3 services; this one and the rest are ignored"});
    }
    SECTION("at most so many errors are kept") {
        std::string text = "[services.web]\ncommand = [\"x\"]\n";
        for (int i = 0; i < 3000; ++i) text += "unknown" + std::to_string(i) + " = 1\n";
        const auto errors = f.errors_of(text);
        REQUIRE(errors.size() == svinit::config::kMaxDiagnostics + 1);
        CHECK(errors.back() == "svinit.toml: 2000 more problems not shown");
    }
    SECTION("long strings are refused with a bounded message") {
        const std::string text =
            "[services.web]\ncommand = [\"" + std::string(70'000, 'x') + "\"]\n";
        CHECK(f.error_of(text) ==
              "svinit.toml:2:12: services.web.command[0]: longer than 65536 bytes");
    }
}

TEST_CASE("the nesting pre-check stays inside text that ends in a string's escape",
          "[config][loader]") {
    // A backslash as the last byte of an unterminated string once stepped past the end
    // (found by fuzz_toml; ASan sees a read beyond the text).
    // Exactly sized heap copies, so that a byte read past the end is outside the buffer.
    const auto check = [](std::string_view text) {
        const std::vector<char> exact(text.begin(), text.end());
        return svinit::config::first_line_nested_deeper({exact.data(), exact.size()}, 3);
    };
    CHECK(check("\"\"\"f\\") == 0);
    CHECK(check("x = \"a\\") == 0);
    CHECK(svinit::config::first_line_nested_deeper("a.b.c.d.e = 1", 3) == 1);
}
