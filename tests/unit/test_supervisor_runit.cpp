// runit behaviours of the Supervisor on the fake loop and fake children: control scripts,
// loggers as targets of their own, check against what is wanted, and path resolution
// through the directory index.

#include <signal.h>

#include <catch2/catch.hpp>

#include "fakes/fake_children.h"
#include "fakes/fake_loop.h"
#include "services/supervisor.h"

using namespace svinit;
using namespace std::chrono_literals;
using services::Command;
using services::ServiceSpec;
using services::State;
using services::WaitTarget;
using svinit::test::FakeChildren;
using svinit::test::FakeLoop;

namespace {

ServiceSpec spec(const std::string& name, bool with_logger = false, std::string controls = "") {
    ServiceSpec s;
    s.name = name;
    s.main.dir = "/srv/" + name;
    s.main.run = s.main.dir / "run";
    for (char c : controls) s.main.control.emplace(c, s.main.dir / "control" / std::string(1, c));
    if (with_logger) {
        services::ProcessSpec log;
        log.dir = s.main.dir / "log";
        log.run = log.dir / "run";
        s.log = log;
    }
    return s;
}

struct World {
    FakeLoop loop;
    FakeChildren children{loop};
    services::Policy policy = [] {
        services::Policy p;
        p.stop_timeout = 2s;
        return p;
    }();
    std::size_t identified = 0;
    std::optional<services::Supervisor> supervisor{
        std::in_place, loop, children, policy,
        [this](const std::string& path) -> std::optional<services::DirId> {
            ++identified;
            // Every "directory" has an inode derived from its path; "/link/NAME" is a
            // symlink to "/srv/NAME".
            std::string real = path.starts_with("/link/") ? "/srv/" + path.substr(6) : path;
            return services::DirId{1, std::hash<std::string>{}(real)};
        }};

    services::ServiceStatus status(const std::string& name) {
        auto s = supervisor->status(name);
        REQUIRE(s);
        return *s;
    }
    pid_t pid(const std::string& name) { return status(name).main.pid; }
    std::vector<int> signals(pid_t pid) {
        const auto* child = children.find(pid);
        REQUIRE(child);
        return child->signals;
    }
    pid_t control(char c) {
        auto pid = children.newest(std::string("./control/") + c);
        REQUIRE(pid);
        return *pid;
    }
};

}  // namespace

TEST_CASE("check: every service and logger as wanted now", "[supervisor][fake][check]") {
    World w;
    w.children.exit_on_signals(true);
    w.supervisor->apply({spec("web", true), spec("db"), [] {
                             auto s = spec("spare");
                             s.main.normally_down = true;
                             return s;
                         }()});
    w.loop.run_ready();
    CHECK(w.supervisor->check());

    SECTION("a service taken down on purpose does not fail it") {
        REQUIRE(w.supervisor->command("db", Command::Down));
        w.loop.run_ready();
        REQUIRE(w.status("db").main.state == State::Down);
        CHECK(w.supervisor->check());
    }
    SECTION("a normally-down service wanted up must run") {
        REQUIRE(w.supervisor->command("spare", Command::Up));
        w.loop.run_ready();
        CHECK(w.supervisor->check());
        REQUIRE(w.children.exit(w.pid("spare"), core::ExitStatus::exited(1)));
        w.loop.run_ready();
        REQUIRE(w.status("spare").main.state == State::Backoff);
        CHECK_FALSE(w.supervisor->check());
    }
    SECTION("a service still stopping is not yet down") {
        w.children.exit_on_signals(false);
        REQUIRE(w.supervisor->command("db", Command::Down));
        w.loop.run_ready();
        REQUIRE(w.status("db").main.state == State::Stopping);
        CHECK_FALSE(w.supervisor->check());
    }
    SECTION("a logger that crashes fails it") {
        REQUIRE(w.children.exit(w.status("web").log->pid, core::ExitStatus::exited(1)));
        w.loop.run_ready();
        CHECK_FALSE(w.supervisor->check());
    }
}

TEST_CASE("loggers are targets: NAME/log and the log/ directory", "[supervisor][fake][logger]") {
    World w;
    w.children.exit_on_signals(true);
    w.supervisor->apply({spec("web", true), spec("db")});
    w.loop.run_ready();
    CHECK(w.supervisor->resolve("web/log") == "web/log");
    CHECK(w.supervisor->resolve("/srv/web/log") == "web/log");
    CHECK(w.supervisor->resolve("/srv/web/log/") == "web/log");
    CHECK(w.supervisor->resolve("/link/web/log") == "web/log");  // by identity
    CHECK(w.supervisor->resolve("/srv/web") == "web");
    CHECK_FALSE(w.supervisor->resolve("db/log"));  // db has no logger
    CHECK_FALSE(w.supervisor->resolve("/srv/db/log"));

    const auto logger = w.status("web/log");
    CHECK(logger.name == "web/log");
    CHECK(logger.dir == "/srv/web/log");
    CHECK_FALSE(logger.log);
    CHECK(logger.main.pid == w.status("web").log->pid);

    SECTION("a signal goes to the logger, not to run") {
        const pid_t run = w.pid("web");
        w.children.exit_on_signals(false);
        REQUIRE(w.supervisor->command("web/log", Command::Hup));
        CHECK(w.signals(logger.main.pid) == std::vector<int>{SIGHUP});
        CHECK(w.signals(run).empty());
    }
    SECTION("restart and wait") {
        const pid_t run = w.pid("web");
        bool up = false;
        auto wait = w.supervisor->wait("web/log", WaitTarget::Up, [&](bool r) { up = r; });
        CHECK(up);  // already there
        REQUIRE(w.supervisor->command("web/log", Command::Restart));
        w.loop.run_ready();
        CHECK(w.status("web/log").main.state == State::Run);
        CHECK(w.status("web/log").main.pid != logger.main.pid);
        CHECK(w.pid("web") == run);
    }
    SECTION("down, and a wait for it") {
        bool down = false;
        w.children.exit_on_signals(false);
        auto wait = w.supervisor->wait("web/log", WaitTarget::Down, [&](bool r) { down = r; });
        REQUIRE(w.supervisor->command("web/log", Command::Down));
        w.loop.run_ready();
        CHECK_FALSE(down);
        REQUIRE(w.children.exit(logger.main.pid, core::ExitStatus::signaled(SIGTERM)));
        w.loop.run_ready();
        CHECK(down);
        CHECK(w.status("web").main.state == State::Run);
        CHECK(w.supervisor->check());  // wanted down, and down
    }
}

TEST_CASE("resolving paths costs one identity look-up at most, whatever the services",
          "[supervisor][fake][resolve]") {
    World w;
    std::vector<ServiceSpec> specs;
    for (int i = 0; i < 2000; ++i) {
        auto s = spec("s" + std::to_string(i), i % 2 == 0);
        s.main.normally_down = true;  // nothing spawned: only the index matters here
        if (s.log) s.log->normally_down = true;
        specs.push_back(std::move(s));
    }
    w.supervisor->apply(std::move(specs));
    w.loop.run_ready();
    const std::size_t at_add = w.identified;
    CHECK(at_add == 3000);  // once per directory: 2000 services, 1000 loggers

    std::size_t found = 0;
    for (int i = 0; i < 4096; ++i) {
        const std::string name = "s" + std::to_string(i % 2000);
        const std::string path = i < 2048 ? "/srv/" + name + "/" : "/link/" + name;
        if (w.supervisor->resolve(path) == name) ++found;
    }
    CHECK(found == 4096);
    // Lexical matches touch nothing; each of the 2048 symlinked spellings one look-up.
    CHECK(w.identified - at_add == 2048);
}

TEST_CASE("control/t exiting 0 keeps the TERM of a down back; CONT still goes",
          "[supervisor][fake][control]") {
    World w;
    w.supervisor->apply({spec("web", false, "t")});
    w.loop.run_ready();
    const pid_t run = w.pid("web");
    REQUIRE(w.supervisor->command("web", Command::Down));
    w.loop.run_ready();
    const pid_t t = w.control('t');
    const auto* script = w.children.find(t);
    CHECK(script->options.argv == std::vector<std::string>{"control/t"});
    CHECK(script->options.cwd == "/srv/web");
    CHECK(w.signals(run).empty());
    CHECK(w.status("web").main.state == State::Stopping);

    SECTION("exit 0") {
        REQUIRE(w.children.exit(t, core::ExitStatus::exited(0)));
        w.loop.run_ready();
        CHECK(w.signals(run) == std::vector<int>{SIGCONT});
        w.loop.advance(2s);  // the stop timeout still ends it: KILL
        CHECK(w.children.find(run) == nullptr);
        CHECK(w.status("web").main.state == State::Down);
    }
    SECTION("exit 1") {
        REQUIRE(w.children.exit(t, core::ExitStatus::exited(1)));
        w.loop.run_ready();
        CHECK(w.signals(run) == std::vector<int>{SIGTERM, SIGCONT});
    }
    SECTION("out of time: killed and forgotten, then TERM") {
        w.loop.advance(2s);
        CHECK(w.children.find(t) == nullptr);  // KILLed
        CHECK(w.signals(run) == std::vector<int>{SIGTERM, SIGCONT});
    }
}

TEST_CASE("control scripts: commands wait for the one running; shutdown takes the d path",
          "[supervisor][fake][control]") {
    World w;
    w.supervisor->apply({spec("web", false, "tqd")});
    w.loop.run_ready();
    const pid_t run = w.pid("web");

    SECTION("quit then hup: hup waits for control/q") {
        REQUIRE(w.supervisor->command("web", Command::Quit));
        REQUIRE(w.supervisor->command("web", Command::Hup));
        w.loop.run_ready();
        CHECK(w.signals(run).empty());
        REQUIRE(w.children.exit(w.control('q'), core::ExitStatus::exited(0)));
        w.loop.run_ready();
        CHECK(w.signals(run) == std::vector<int>{SIGHUP});  // no control/h: sent at once
    }
    SECTION("a signal to a service that does not run fails at once") {
        REQUIRE(w.supervisor->command("web", Command::Down));
        w.loop.run_ready();
        REQUIRE(w.children.exit(w.control('t'), core::ExitStatus::exited(1)));
        w.loop.run_ready();
        REQUIRE(w.children.exit(run, core::ExitStatus::signaled(SIGTERM)));
        w.loop.run_ready();
        auto sent = w.supervisor->command("web", Command::Quit);
        REQUIRE_FALSE(sent);
        CHECK(sent.error().code == ESRCH);
    }
    SECTION("stop_all: control/t, then control/d, and done when all are gone") {
        bool done = false;
        w.supervisor->stop_all([&] { done = true; });
        w.loop.run_ready();
        CHECK(w.signals(run).empty());
        REQUIRE(w.children.exit(w.control('t'), core::ExitStatus::exited(0)));
        w.loop.run_ready();
        CHECK(w.signals(run) == std::vector<int>{SIGCONT});
        const pid_t d = w.control('d');
        REQUIRE(w.children.exit(run, core::ExitStatus::signaled(SIGQUIT)));
        w.loop.run_ready();
        CHECK_FALSE(done);  // control/d still runs
        REQUIRE(w.children.exit(d, core::ExitStatus::exited(3)));
        w.loop.run_ready();
        CHECK(done);
    }
}
