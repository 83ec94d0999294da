// Every key of a TOML service: what it sets, and the error each wrong value gets, at its
// line and column, in the form svinit --check-config prints.

#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>
#include <vector>

#include "toml_fixture.h"

using namespace std::chrono_literals;
using namespace svinit::services;
using svinit::test::TomlFixture;
using Strings = std::vector<std::string>;

TEST_CASE("the issue's example stack loads as written", "[config][toml]") {
    TomlFixture f;
    const auto loaded = f.load(R"([services.db]
command = ["/usr/local/bin/db", "--data", "/var/lib/db"]
[services.db.readiness]
type = "notify"
timeout = "10s"

[services.web]
command = ["/usr/local/bin/web", "--port", "8080"]
requires = ["db"]
environment = { MODE = "prod" }
[services.web.restart]
policy = "on-failure"
)");
    CAPTURE(f.errors(loaded));
    REQUIRE(loaded.ok());
    REQUIRE(loaded.services.size() == 2);
    CHECK(loaded.toml_services == 2);
    const ServiceSpec& db = loaded.services[0];
    const ServiceSpec& web = loaded.services[1];
    CHECK(db.name == "db");
    CHECK(db.source == SourceKind::Toml);
    CHECK(db.main.command == Strings{"/usr/local/bin/db", "--data", "/var/lib/db"});
    CHECK(db.main.run.empty());
    CHECK(db.main.dir == "/");
    CHECK(std::holds_alternative<NotifyReadiness>(db.readiness.method));
    CHECK(db.readiness.timeout == 10s);
    CHECK(db.stop.kill == KillMode::Group);
    CHECK(db.stop.signal == SIGTERM);
    CHECK(web.deps.required == Strings{"db"});
    CHECK(web.main.exec.environment == std::map<std::string, std::string>{{"MODE", "prod"}});
    CHECK(web.main.exec.inherit_environment);
    CHECK(web.restart.policy == RestartPolicy::OnFailure);
    CHECK_FALSE(web.readiness.configured());

    const std::string main = f.file("svinit.toml").string();
    CHECK(web.origins.defined_at.describe() == main + ":7:11");
    CHECK(web.origins.of("command").describe() == main + ":8:11");
    CHECK(web.origins.of("restart.policy").describe() == main + ":12:10");
    CHECK(web.origins.of("environment.MODE").describe() == main + ":10:24");
    CHECK(web.origins.of("stop.timeout").describe() == "default");
    CHECK(db.origins.of("readiness.timeout").describe() == main + ":5:11");
}

TEST_CASE("every key of a service", "[config][toml]") {
    TomlFixture f;
    auto spec = f.service_of(R"([services.full]
command = ["app", "--flag"]
type = "simple"
environment = { A = "1", B = "two" }
inherit-environment = false
working-directory = "srv"
user = "nobody"
group = 65534
supplementary-groups = ["adm", 4]
umask = "027"
rlimits = { nofile = 65536, core = 0, stack = "unlimited", nproc = { soft = 100, hard = 200 } }
down = true
essential = true
[services.full.restart]
policy = "never"
backoff = { initial = "50ms", max = "1m", factor = 1.5 }
healthy-after = "3s"
start-limit = { burst = 3, interval = "20s" }
[services.full.stop]
signal = "INT"
timeout = "20s"
kill = "process"
command = ["/bin/stopper"]
[services.full.readiness]
type = "tcp"
host = "::1"
port = 8080
interval = "200ms"
check-timeout = "1s"
retries = 5
timeout = "2m"
[services.full.health]
type = "exec"
command = ["/bin/check", "-q"]
interval = "15s"
timeout = "2s"
failures = 4
)");
    ServiceSpec expected{"full", {}, {}};
    expected.source = SourceKind::Toml;
    expected.main.command = {"app", "--flag"};
    expected.main.dir = f.tmp.path / "srv";
    expected.main.normally_down = true;
    expected.main.exec.environment = {{"A", "1"}, {"B", "two"}};
    expected.main.exec.inherit_environment = false;
    expected.main.exec.user = "nobody";
    expected.main.exec.group = "65534";
    expected.main.exec.supplementary_groups = {"adm", "4"};
    expected.main.exec.umask = 027;
    expected.main.exec.rlimits = {
        {RLIMIT_CORE, 0, 0},
        {RLIMIT_NOFILE, 65536, 65536},
        {RLIMIT_NPROC, 100, 200},
        {RLIMIT_STACK, ResourceLimit::kUnlimited, ResourceLimit::kUnlimited}};
    std::ranges::sort(expected.main.exec.rlimits, {}, &ResourceLimit::resource);
    expected.essential = true;
    expected.restart = {RestartPolicy::Never, 50ms, 1min, 1.5, 3s, StartLimit{3, 20s}};
    expected.stop = {SIGINT, 20s, KillMode::Process, {"/bin/stopper"}};
    expected.readiness.method = TcpCheck{"::1", 8080};
    expected.readiness.interval = 200ms;
    expected.readiness.check_timeout = 1s;
    expected.readiness.retries = 5;
    expected.readiness.timeout = 2min;
    expected.health = HealthSpec{ExecCheck{{"/bin/check", "-q"}}, 15s, 2s, 4};
    CHECK(spec == expected);
}

TEST_CASE("dependencies are sorted and deduplicated", "[config][toml]") {
    TomlFixture f;
    const auto loaded = f.load(R"([services.web]
command = ["web"]
requires = ["b", "a", "b"]
wants = ["c"]
after = ["c", "c"]
before = ["d"]
[services.a]
command = ["a"]
[services.b]
command = ["b"]
[services.c]
command = ["c"]
[services.d]
command = ["d"]
)");
    CAPTURE(f.errors(loaded));
    REQUIRE(loaded.ok());
    const ServiceSpec& web = loaded.services.back();
    CHECK(web.deps == Dependencies{{"a", "b"}, {"c"}, {"c"}, {"d"}});
}

TEST_CASE("type notify means notify readiness; fd readiness defaults to fd 3", "[config][toml]") {
    TomlFixture f;
    auto notify = f.service_of("[services.web]\ncommand = [\"w\"]\ntype = \"notify\"\n");
    CHECK(notify.type == ServiceType::Notify);
    CHECK(std::holds_alternative<NotifyReadiness>(notify.readiness.method));
    CHECK(notify.readiness.timeout == 60s);

    auto fd = f.service_of("[services.web]\ncommand = [\"w\"]\nreadiness = { type = \"fd\" }\n");
    CHECK(fd.readiness.method == ReadinessMethod{FdReadiness{3}});
    auto exec = f.service_of(
        "[services.web]\ncommand = [\"w\"]\nreadiness = { type = \"exec\", command = [\"c\"] }\n");
    CHECK(exec.readiness.method == ReadinessMethod{ExecCheck{{"c"}}});
    auto tcp =
        f.service_of("[services.web]\ncommand = [\"w\"]\nhealth = { type = \"tcp\", port = 80 }\n");
    REQUIRE(tcp.health);
    CHECK(tcp.health->check == HealthCheck{TcpCheck{"127.0.0.1", 80}});
    CHECK(tcp.health->interval == 30s);
}

TEST_CASE("a oneshot runs once unless told to retry on failure", "[config][toml]") {
    TomlFixture f;
    auto once = f.service_of("[services.migrate]\ncommand = [\"m\"]\ntype = \"oneshot\"\n");
    CHECK(once.restart.policy == RestartPolicy::Never);
    auto retry = f.service_of(
        "[services.migrate]\ncommand = [\"m\"]\ntype = \"oneshot\"\nrestart = { policy = "
        "\"on-failure\" }\n");
    CHECK(retry.restart.policy == RestartPolicy::OnFailure);
}

TEST_CASE("a stop signal by name or number, KILL included", "[config][toml]") {
    TomlFixture f;
    CHECK(f.service_of("[services.w]\ncommand = [\"w\"]\nstop = { signal = 9 }\n").stop.signal ==
          SIGKILL);
    CHECK(f.service_of("[services.w]\ncommand = [\"w\"]\nstop = { signal = \"SIGHUP\" }\n")
              .stop.signal == SIGHUP);
    CHECK(f.service_of("[services.w]\ncommand = [\"w\"]\nstop = { signal = \"kill\" }\n")
              .stop.signal == SIGKILL);
    CHECK(f.service_of("[services.w]\ncommand = [\"w\"]\numask = 0o022\n").main.exec.umask == 022);
    CHECK(
        f.service_of("[services.w]\ncommand = [\"w\"]\nrestart = { start-limit = { burst = 0 } }\n")
            .restart.start_limit == std::nullopt);
}

// One wrong key under [services.web] (line 3), and the one error it must get.
TEST_CASE("each key's wrong values get one error at the value", "[config][toml]") {
    TomlFixture f;
    struct Case {
        std::string line;
        std::string error;
    };
    const std::vector<Case> cases{
        {R"(type = "daemon")",
         R"(3:8: services.web.type: expected one of simple, oneshot, notify, got "daemon")"},
        {R"(restart = { policy = "alwayz" })",
         R"(3:22: services.web.restart.policy: expected one of always, on-failure, never, got "alwayz"; did you mean "always"?)"},
        {R"(down = "yes")", R"(3:8: services.web.down: expected true or false, got string "yes")"},
        {R"(essential = 1)",
         R"(3:13: services.web.essential: expected true or false, got integer 1)"},
        {R"(environment = { PORT = 8080 })",
         R"(3:24: services.web.environment.PORT: expected a string, got integer 8080 (quote it: PORT = "8080"))"},
        {R"(environment = { "A-B" = "x" })",
         R"(3:17: services.web.environment.A-B: not a variable name (letters, digits and _, not starting with a digit))"},
        {R"(environment = "A=1")",
         R"(3:15: services.web.environment: expected a table, got string "A=1")"},
        {R"(inherit-environment = "no")",
         R"(3:23: services.web.inherit-environment: expected true or false, got string "no")"},
        {R"(working-directory = 5)",
         R"(3:21: services.web.working-directory: expected a string, got integer 5)"},
        {R"(user = "")", R"(3:8: services.web.user: must not be empty)"},
        {R"(user = -1)",
         R"(3:8: services.web.user: expected a name or an id from 0 to 4294967294, got -1)"},
        {R"(group = 1.5)",
         R"(3:9: services.web.group: expected a name or a number, got float 1.5)"},
        {R"(umask = "999")",
         R"(3:9: services.web.umask: expected an octal mode from "0000" to "0777" (or 0o022), got string "999")"},
        {R"(umask = 0o1777)",
         R"(3:9: services.web.umask: expected an octal mode from "0000" to "0777" (or 0o022), got integer 1023)"},
        {R"(rlimits = { nofiles = 10 })",
         R"(3:13: services.web.rlimits.nofiles: unknown key; did you mean "nofile"?)"},
        {R"(rlimits = { nofile = -1 })",
         R"(3:22: services.web.rlimits.nofile: expected a non-negative integer or "unlimited", got integer -1)"},
        {R"(rlimits = { nofile = { soft = 10, hard = 5 } })",
         R"(3:31: services.web.rlimits.nofile: soft must not be more than hard)"},
        {R"(requires = "db")",
         R"(3:12: services.web.requires: expected an array of strings, got string "db")"},
        {R"(requires = [""])", R"(3:13: services.web.requires[0]: must not be empty)"},
        {R"(wants = [1])", R"(3:10: services.web.wants[0]: expected a string, got integer 1)"},
        {R"(restart = { backoff = { factor = 0.5 } })",
         R"(3:34: services.web.restart.backoff.factor: expected a number from 1 to 100, got 0.5)"},
        {R"(restart = { backoff = { initial = "1m", max = "10s" } })",
         R"(3:47: services.web.restart.backoff.max: max (10s) must not be less than initial (1m))"},
        {R"(restart = { healthy-after = 5 })",
         R"(3:29: services.web.restart.healthy-after: expected a duration such as "10s", "250ms" or "1m30s", got integer 5 (write "5s"))"},
        {R"(restart = { healthy-after = "5 seconds" })",
         R"(3:29: services.web.restart.healthy-after: "5 seconds": unknown unit " seconds" (use ms, s, m or h))"},
        {R"(restart = { start-limit = { burst = -1 } })",
         R"(3:37: services.web.restart.start-limit.burst: expected an integer from 0 to 1000000, got -1)"},
        {R"(stop = { signal = "TREM" })",
         R"(3:19: services.web.stop.signal: expected a signal name or number such as "TERM", "SIGINT" or 15, got string "TREM")"},
        {R"(stop = { signal = "STOP" })",
         R"(3:19: services.web.stop.signal: expected a signal name or number such as "TERM", "SIGINT" or 15, got string "STOP")"},
        {R"(stop = { timeout = "48h" })",
         R"(3:20: services.web.stop.timeout: expected a duration from 0s to 24h, got "48h")"},
        {R"(stop = { kill = "all" })",
         R"(3:17: services.web.stop.kill: expected one of group, process, got "all")"},
        {R"(readiness = { type = "notify", fd = 3 })",
         R"(3:37: services.web.readiness.fd: applies only with type = "fd")"},
        {R"(readiness = { type = "fd", fd = 2 })",
         R"(3:33: services.web.readiness.fd: expected an integer from 3 to 1023, got 2)"},
        {R"(readiness = { type = "exec" })",
         R"(3:13: services.web.readiness: type = "exec" needs command = ["/usr/bin/check", ...])"},
        {R"(readiness = { type = "tcp", port = 70000 })",
         R"(3:36: services.web.readiness.port: expected an integer from 1 to 65535, got 70000)"},
        {R"(readiness = { timeout = "1s" })",
         R"(3:13: services.web.readiness: missing key "type": one of notify, fd, exec, tcp)"},
        {R"(readiness = { type = "tcp", port = 80, retries = 1, fd = 4 })",
         R"(3:58: services.web.readiness.fd: applies only with type = "fd")"},
        {R"(health = { type = "http" })",
         R"(3:19: services.web.health.type: expected one of exec, tcp, got "http")"},
        {R"(health = { type = "tcp", port = 80, failures = 0 })",
         R"(3:48: services.web.health.failures: expected an integer from 1 to 1000, got 0)"},
        {R"(health = { type = "exec", command = ["c"], port = 80 })",
         R"(3:51: services.web.health.port: applies only with type = "tcp")"},
        {R"(health = { type = "exec", interval = "10ms", command = ["c"] })",
         R"(3:38: services.web.health.interval: expected a duration from 100ms to 24h, got "10ms")"},
        {R"(comand = ["x"])", R"(3:1: services.web.comand: unknown key; did you mean "command"?)"},
        {R"(sandbox = {})",
         R"(3:11: services.web.sandbox: missing key "root" (the directory the worker sees as /))"},
        {R"(restat = { policy = "never" })",
         R"(3:1: services.web.restat: unknown key; did you mean "restart"?)"},
        {R"(stop = { timeuot = "1s" })",
         R"(3:10: services.web.stop.timeuot: unknown key; did you mean "timeout"?)"},
    };
    for (const Case& c : cases) {
        const std::string text = "[services.web]\ncommand = [\"x\"]\n" + c.line + "\n";
        CHECK(f.error_of(text) == "svinit.toml:" + c.error);
    }
}

TEST_CASE("type rules between keys", "[config][toml]") {
    TomlFixture f;
    auto error = [&f](const std::string& lines) {
        return f.error_of("[services.web]\ncommand = [\"x\"]\n" + lines + "\n");
    };
    CHECK(error("type = \"oneshot\"\nreadiness = { type = \"notify\" }") ==
          "svinit.toml:4:13: services.web.readiness: a oneshot service is ready when it exits 0; "
          "this does not apply to it");
    CHECK(error("type = \"oneshot\"\nhealth = { type = \"tcp\", port = 1 }") ==
          "svinit.toml:4:10: services.web.health: a oneshot service is ready when it exits 0; "
          "this does not apply to it");
    CHECK(error("type = \"oneshot\"\nrestart = { policy = \"always\" }") ==
          "svinit.toml:4:22: services.web.restart.policy: a oneshot service is done when it "
          "exits 0: use \"on-failure\" or \"never\"");
    CHECK(error("type = \"notify\"\nreadiness = { type = \"fd\" }") ==
          "svinit.toml:4:22: services.web.readiness.type: the service's type = \"notify\" "
          "already means readiness by notify; remove one of them");
}

TEST_CASE("command must be an argv array", "[config][toml]") {
    TomlFixture f;
    CHECK(f.error_of("[services.web]\ncommand = \"/usr/bin/app --port 8080\"\n") ==
          "svinit.toml:2:11: services.web.command: must be an array (argv, run without a "
          "shell): write [\"/usr/bin/app\", \"--port\", \"8080\"], or for shell syntax "
          "[\"/bin/sh\", \"-c\", \"/usr/bin/app --port 8080\"]");
    CHECK(f.error_of("[services.web]\ncommand = []\n") ==
          "svinit.toml:2:11: services.web.command: must name a program: [\"/usr/bin/app\", "
          "\"--flag\"]");
    CHECK(f.error_of("[services.web]\ncommand = [\"a\\u0000b\"]\n") ==
          "svinit.toml:2:12: services.web.command[0]: contains a NUL character");
    CHECK(f.error_of("[services.web]\ntype = \"simple\"\n") ==
          "svinit.toml:1:1: services.web: missing key \"command\" (the program and its "
          "arguments, e.g. command = [\"/usr/bin/app\", \"--flag\"])");
}

TEST_CASE("every error in a file is reported at once", "[config][toml]") {
    TomlFixture f;
    CHECK(f.errors_of(R"([services.web]
command = ["web"]
type = "daemon"
[services.web.restart]
policy = "alwayz"
[services.db]
comand = ["db"]
)") == Strings{
           R"(svinit.toml:6:1: services.db: missing key "command" (the program and its arguments, e.g. command = ["/usr/bin/app", "--flag"]))",
           R"(svinit.toml:7:1: services.db.comand: unknown key; did you mean "command"?)",
           R"(svinit.toml:3:8: services.web.type: expected one of simple, oneshot, notify, got "daemon")",
           R"(svinit.toml:5:10: services.web.restart.policy: expected one of always, on-failure, never, got "alwayz"; did you mean "always"?)",
       });
}

TEST_CASE("a TOML syntax error gives toml++'s line and column", "[config][toml]") {
    TomlFixture f;
    const auto error = f.error_of("[services.web]\ncommand = [\"x\"\nenvironment = {}\n");
    CHECK(error.starts_with("svinit.toml:3:1: TOML syntax error: "));
    const auto twice = f.error_of("[services.web]\ncommand = [\"x\"]\ncommand = [\"y\"]\n");
    CHECK(twice ==
          "svinit.toml:3:11: TOML syntax error: Error while parsing key-value pair: cannot "
          "redefine existing array 'command'");
}

TEST_CASE("moving a definition keeps its spec equal; changing a value does not", "[config][toml]") {
    TomlFixture f;
    const auto before = f.service_of("[services.web]\ncommand = [\"web\"]\nrequires = []\n");
    const auto moved =
        f.service_of("# a comment\n\n[services.web]\nrequires = []\n\ncommand = [ \"web\" ]\n");
    CHECK(before.origins.of("command").line != moved.origins.of("command").line);
    CHECK(before == moved);
    const auto changed = f.service_of("[services.web]\ncommand = [\"web\", \"-v\"]\n");
    CHECK_FALSE(before == changed);
}

TEST_CASE("[log] mode sets where the service's output goes", "[config][toml][log]") {
    TomlFixture f;
    CHECK(f.service_of("[services.web]\ncommand = [\"w\"]\n").output == std::nullopt);
    CHECK(f.service_of("[services.web]\ncommand = [\"w\"]\n[services.web.log]\nmode = \"json\"\n")
              .output == svinit::services::OutputMode::Json);
    const auto errors =
        f.errors_of("[services.web]\ncommand = [\"w\"]\n[services.web.log]\nmode = \"loud\"\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("loud") != std::string::npos);
}

TEST_CASE("[log] prefix sets the service's prefix format", "[config][toml][log]") {
    using svinit::services::PrefixField;
    TomlFixture f;
    CHECK(f.service_of("[services.web]\ncommand = [\"w\"]\n").prefix == std::nullopt);
    CHECK(f.service_of("[services.web]\ncommand = [\"w\"]\n[services.web.log]\n"
                       "prefix = \"stream,name\"\n")
              .prefix == svinit::services::PrefixFormat{PrefixField::Stream, PrefixField::Name});
    const auto errors = f.errors_of(
        "[services.web]\ncommand = [\"w\"]\n[services.web.log]\nprefix = \"host\"\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].find("prefix") != std::string::npos);
}

TEST_CASE("a tcp check's host is an IP address or localhost, never a name to look up",
          "[config][toml]") {
    TomlFixture f;
    const std::string base = "[services.web]\ncommand = [\"w\"]\n[services.web.readiness]\n"
                             "type = \"tcp\"\nport = 80\n";
    for (const char* ok : {"127.0.0.1", "::1", "[::1]", "localhost", "10.1.2.3"}) {
        auto spec = f.service_of(base + "host = \"" + ok + "\"\n");
        CHECK(std::get<TcpCheck>(spec.readiness.method).host == ok);
    }
    CHECK_THAT(f.error_of(base + "host = \"db.example\"\n"),
               Catch::EndsWith(
                   "services.web.readiness.host: expected an IP address or localhost, got "
                   "\"db.example\""));
    CHECK_THAT(f.error_of("[services.web]\ncommand = [\"w\"]\n[services.web.health]\n"
                          "type = \"tcp\"\nport = 80\nhost = \"db\"\n"),
               Catch::Contains("services.web.health.host: expected an IP address"));
}
