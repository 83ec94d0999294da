// TOML services supervised: started with argv and their ExecContext, restarted by their
// policy, failed for good by the start limit, stopped with their signal, and shown by svctl
// like runit services. Every service reports on the event FIFO; the tests wait on it.

#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <string>

#include "support/services.h"
#include "support/toml_services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

TEST_CASE("TOML services run with their environment, directory and umask", "[toml]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string config = write_main_config(
        s, toml_service("web",
                   "echo \"web $$ $MODE $KEEP $(pwd) $(umask)\" > " + fifo + "; exec sleep 100000",
                   "environment = { MODE = \"prod\" }\nworking-directory = \"" + s.dir() +
                       "\"\numask = \"0027\"\n[services.web.restart]\npolicy = \"on-failure\"") +
               toml_service("setup", "echo setup > " + fifo, "type = \"oneshot\"") +
               toml_service("idle", "echo idle > " + fifo,
                       "down = true\n[services.idle.restart]\npolicy = \"on-failure\""));
    ::setenv("KEEP", "kept", 1);
    s.start({"--config", config});
    ::unsetenv("KEEP");
    INFO("svinit's log:\n" << s.log());

    std::set<std::string> seen{s.next_event(), s.next_event()};
    std::string web_line;
    for (const auto& line : seen) {
        if (line.rfind("web ", 0) == 0) web_line = line;
    }
    CHECK(seen.contains("setup"));
    REQUIRE_FALSE(web_line.empty());
    const pid_t pid = s.pid("web");
    CHECK(web_line == "web " + std::to_string(pid) + " prod kept " + s.dir() + " 0027");

    s.svctl_ok({"wait", "up", "setup", "--timeout", "10"});
    CHECK(s.status("setup")["state"] == "run");
    CHECK(s.status("setup")["dir"] == "");
    CHECK(s.status("idle")["state"] == "down");
    CHECK(s.status("web")["state"] == "run");

    // on-failure: a kill is a failure, so it comes back; a clean exit would not.
    s.svctl_ok({"kill", "web"});
    const std::string again = s.next_event();
    CHECK(again.rfind("web ", 0) == 0);
    CHECK(again != web_line);  // another pid

    s.svctl_ok({"up", "idle"});
    CHECK(s.next_event() == "idle");
    s.svctl_ok({"wait", "down", "idle", "--timeout", "10"});
    CHECK(s.status("idle")["want"] == "down");  // exit 0 under on-failure: done
    CHECK(s.stop() == 0);
}

TEST_CASE("a TOML service that keeps failing hits its start limit until svctl up", "[toml]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string config = write_main_config(
        s, toml_service("flaky", "echo \"flaky $$\" > " + fifo + "; exit 3",
                   "[services.flaky.restart]\nbackoff = { initial = \"1ms\", max = \"5ms\" }\n"
                   "start-limit = { burst = 3, interval = \"1h\" }"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    for (int i = 0; i < 3; ++i) s.next_start("flaky");
    s.svctl_ok({"wait", "down", "flaky", "--timeout", "10"});  // failed counts as down
    auto status = s.status("flaky");
    CHECK(status["state"] == "failed");
    CHECK_THAT(status["reason"].get<std::string>(), Catch::Contains("start limit hit"));
    const CommandResult text = s.svctl({"status", "flaky"});
    CHECK_THAT(text.lines.at(0), Catch::Contains("start limit hit"));

    s.svctl_ok({"up", "flaky"});  // three more tries
    for (int i = 0; i < 3; ++i) s.next_start("flaky");
    s.svctl_ok({"wait", "down", "flaky", "--timeout", "10"});
    CHECK(s.status("flaky")["state"] == "failed");
    CHECK(s.stop() == 0);
}

TEST_CASE("a TOML service stops with its signal, sent to its process group", "[toml]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    // The shell waits for a child of its own; USR1 to the group reaches both, and the
    // child reports it (USR1 to the shell alone would not reach it).
    const std::string config = write_main_config(
        s, toml_service("grp",
                   "sh -c 'trap \"echo child-usr1 > " + fifo + "; exit 0\" USR1; echo \"grp $$\" > " +
                       fifo + "; while :; do sleep 1; done' & wait",
                   "[services.grp.stop]\nsignal = \"USR1\"\nkill = \"group\"\ntimeout = \"30s\""));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    s.next_start("grp");
    s.svctl_ok({"down", "grp"});
    CHECK(s.next_event() == "child-usr1");
    s.svctl_ok({"wait", "down", "grp", "--timeout", "20"});
    CHECK(s.stop() == 0);
}

TEST_CASE("a TOML dependent starts only once what it requires is up, and stops with it",
          "[toml][deps]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string go = s.dir() + "/go";
    REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
    // setup is done only when the test says so (a line on the go FIFO).
    const std::string config = write_main_config(
        s, toml_service("setup", "echo setup > " + fifo + "; read line < " + go,
                   "type = \"oneshot\"") +
               toml_service("web", "echo \"web $$\" > " + fifo + "; exec sleep 100000",
                       "requires = [\"setup\"]"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    CHECK(s.next_event() == "setup");
    auto web = s.status("web");
    CHECK(web["state"] == "starting");
    CHECK(web["pid"] == 0);
    CHECK(web["reason"] == "waiting for setup");
    const CommandResult text = s.svctl({"status", "web"});
    CHECK_THAT(text.lines.at(0), Catch::StartsWith("starting: web: ") &&
                                     Catch::EndsWith(", waiting for setup"));

    {
        std::ofstream(go) << "go\n";
    }
    const pid_t pid = s.next_start("web");
    s.svctl_ok({"wait", "ready", "web", "setup", "--timeout", "10"});
    CHECK(s.status("web")["pid"] == pid);

    // setup down: web stops and waits; setup up again (and done): web starts again.
    const auto host = s.host_pid_of(pid);
    REQUIRE(host);
    s.svctl_ok({"down", "setup"});
    CHECK(wait_gone(*host, 10s));
    s.svctl_ok({"up", "setup"});
    CHECK(s.next_event() == "setup");
    {
        std::ofstream(go) << "go\n";
    }
    CHECK(s.next_start("web") != pid);
    CHECK(s.stop() == 0);
}

// The minimal stack: db says READY=1 on NOTIFY_SOCKET (only when the test lets it),
// web requires db, and must not start before.
TEST_CASE("a TOML dependent waits for READY=1 from what it requires", "[toml][notify]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string go = s.dir() + "/go";
    REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
    const std::string sdnotify = helper("sdnotify");
    const std::string config = write_main_config(
        s, toml_service("db",
                   "echo db-start > " + fifo + "; read line < " + go + "; exec " + sdnotify +
                       " READY=1 sleep 100000",
                   "[services.db.readiness]\ntype = \"notify\"\ntimeout = \"60s\"") +
               toml_service("web", "echo \"web $$ $MODE\" > " + fifo + "; exec sleep 100000",
                       "requires = [\"db\"]\nenvironment = { MODE = \"prod\" }\n"
                       "[services.web.restart]\npolicy = \"on-failure\""));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    CHECK(s.next_event() == "db-start");
    CHECK(s.status("db")["state"] == "starting");
    CHECK(s.status("web")["state"] == "starting");
    CHECK(s.status("web")["pid"] == 0);
    CHECK(s.svctl({"wait", "ready", "web", "--timeout", "0"}).status == 1);

    {
        std::ofstream(go) << "go\n";
    }
    const std::string web = s.next_event();
    CHECK_THAT(web, Catch::StartsWith("web ") && Catch::EndsWith(" prod"));
    s.svctl_ok({"wait", "ready", "web", "--timeout", "30"});
    CHECK(s.status("db")["state"] == "run");
    CHECK(s.stop() == 0);
}

TEST_CASE("SIGHUP applies a changed configuration; unchanged services keep their pid",
          "[toml][reload]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const auto sleeper = [&](const std::string& name, const std::string& word) {
        return toml_service(name, "echo \"" + name + " $$ " + word + "\" > " + fifo +
                                 "; exec sleep 100000");
    };
    const std::string config =
        write_main_config(s, sleeper("keep", "v1") + sleeper("change", "v1") + sleeper("drop", "v1"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    std::set<std::string> names;
    for (int i = 0; i < 3; ++i) names.insert(s.next_event().substr(0, 4));
    REQUIRE(names == std::set<std::string>{"keep", "chan", "drop"});
    const pid_t keep = s.pid("keep");
    const pid_t change = s.pid("change");

    // An invalid file: rejected whole, nothing changes.
    write_file(config, sleeper("keep", "v1") + "[services.change]\ncommand = \"not argv\"\n");
    REQUIRE(::kill(s.host_pid(), SIGHUP) == 0);
    // svctl answers after the loop has handled the signal (one loop, in order).
    s.svctl_ok({"wait", "up", "drop", "--timeout", "10"});
    CHECK(s.pid("change") == change);

    write_file(config, sleeper("keep", "v1") + sleeper("change", "v2") + sleeper("added", "v1"));
    REQUIRE(::kill(s.host_pid(), SIGHUP) == 0);
    std::set<std::string> events{s.next_event(), s.next_event()};
    CHECK(events.size() == 2);
    s.svctl_ok({"wait", "up", "change", "added", "--timeout", "10"});
    CHECK(s.pid("keep") == keep);
    CHECK(s.pid("change") != change);
    CHECK(events.contains("change " + std::to_string(s.pid("change")) + " v2"));
    CHECK(events.contains("added " + std::to_string(s.pid("added")) + " v1"));
    CHECK(s.svctl({"status", "drop"}).status != 0);
    CHECK_THAT(s.log(), Catch::Contains("reload rejected"));
    CHECK(s.stop() == 0);
}

TEST_CASE("an essential TOML service that fails for good ends svinit with its status",
          "[toml][essential]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    // `other` reports the TERM of the orderly shutdown. It is ready (a newline on fd 3)
    // only once its trap is set, so `app`, which requires it, starts after that. `app` is
    // normally down and brought up by the test, so svinit cannot end before start() has
    // found it.
    const std::string other = toml_service(
        "other",
        "trap \"echo other-term > " + fifo + "; exit 0\" TERM; echo other > " + fifo +
            "; echo >&3; while :; do sleep 1; done",
        "[services.other.readiness]\ntype = \"fd\"\nfd = 3\n");
    SECTION("an exit under restart policy never: its exit code") {
        const std::string config = write_main_config(
            s, other + toml_service("app", "echo app > " + fifo + "; exit 7",
                               "essential = true\ndown = true\nrequires = [\"other\"]\n"
                               "[services.app.restart]\npolicy = \"never\""));
        s.start({"--config", config});
        INFO("svinit's log:\n" << s.log());
        CHECK(s.next_event() == "other");
        s.svctl_ok({"up", "app"});
        CHECK(s.next_event() == "app");
        CHECK(s.next_event() == "other-term");
        CHECK(s.svinit().wait(std::chrono::seconds(15)) == 7);
        CHECK_THAT(s.log(), Catch::Contains("app: essential service failed for good"));
    }
    SECTION("the start limit hit by a service killed by a signal: 128+N") {
        const std::string config = write_main_config(
            s, other + toml_service("app", "echo app > " + fifo + "; kill -KILL $$",
                               "essential = true\ndown = true\nrequires = [\"other\"]\n"
                               "[services.app.restart]\n"
                               "backoff = { initial = \"1ms\", max = \"5ms\" }\n"
                               "start-limit = { burst = 2, interval = \"1h\" }"));
        s.start({"--config", config});
        INFO("svinit's log:\n" << s.log());
        CHECK(s.next_event() == "other");
        s.svctl_ok({"up", "app"});
        CHECK(s.next_event() == "app");
        CHECK(s.next_event() == "app");
        CHECK(s.next_event() == "other-term");
        CHECK(s.svinit().wait(std::chrono::seconds(15)) == 128 + SIGKILL);
    }
}

TEST_CASE("svctl reload: a bad configuration is refused with its errors, a good one applied",
          "[toml][reload][svctl]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const auto sleeper = [&](const std::string& name) {
        return toml_service(name, "echo \"" + name + " $$\" > " + fifo + "; exec sleep 100000");
    };
    const std::string config = write_main_config(s, sleeper("keep"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    const pid_t keep = s.next_start("keep");
    CHECK(s.pid("keep") == keep);

    // Line 5, column 11: the string where argv belongs.
    write_file(config, sleeper("keep") + "[services.bad]\ncommand = \"not argv\"\n");
    const CommandResult refused = s.svctl({"reload"});
    INFO(refused);
    CHECK(refused.status == 1);
    CHECK_THAT(refused.err, Catch::Contains("reload rejected, services unchanged: 1 error"));
    CHECK_THAT(refused.err, Catch::Contains(config + ":5:11: services.bad.command"));
    CHECK(s.pid("keep") == keep);
    CHECK(s.svctl({"status", "bad"}).status != 0);

    write_file(config, sleeper("keep") + sleeper("added"));
    s.svctl_ok({"reload"});
    const pid_t added = s.next_start("added");
    s.svctl_ok({"wait", "up", "added", "--timeout", "10"});
    CHECK(s.pid("added") == added);
    CHECK(s.pid("keep") == keep);
    CHECK(s.stop() == 0);
}
