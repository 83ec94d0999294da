// TOML services in the Supervisor, on the fake loop and fake children: their argv and
// policies, start gates from their dependencies, requires propagation, and shutdown in
// reverse dependency order.

#include <signal.h>

#include <catch2/catch.hpp>

#include "fakes/fake_children.h"
#include "fakes/fake_loop.h"
#include "services/supervisor.h"

using namespace svinit;
using namespace std::chrono_literals;
using services::ServiceSpec;
using services::State;
using svinit::test::FakeChildren;
using svinit::test::FakeLoop;

namespace {

ServiceSpec toml(const std::string& name, std::vector<std::string> requires_ = {}) {
    ServiceSpec s;
    s.name = name;
    s.source = services::SourceKind::Toml;
    s.main.dir = "/";
    s.main.command = {"/bin/" + name, "--flag"};
    s.stop.kill = services::KillMode::Group;
    s.deps.required = std::move(requires_);
    return s;
}

ServiceSpec oneshot(const std::string& name) {
    ServiceSpec s = toml(name);
    s.type = services::ServiceType::Oneshot;
    s.restart.policy = services::RestartPolicy::Never;
    return s;
}

struct World {
    FakeLoop loop;
    FakeChildren children{loop};
    std::optional<services::Supervisor> supervisor{std::in_place, loop, children,
                                                   services::Policy{}};

    services::ServiceStatus status(const std::string& name) {
        auto s = supervisor->status(name);
        REQUIRE(s);
        return *s;
    }
    State state(const std::string& name) { return status(name).main.state; }
    pid_t pid(const std::string& name) { return status(name).main.pid; }
    std::optional<pid_t> running(const std::string& name) {
        return children.newest("/bin/" + name);
    }
};

}  // namespace

TEST_CASE("fake: a TOML service runs its argv, with no service directory", "[supervisor][toml]") {
    World w;
    w.supervisor->apply({toml("web")});
    w.loop.run_ready();
    REQUIRE(w.state("web") == State::Run);
    const auto* child = w.children.find(w.pid("web"));
    REQUIRE(child);
    CHECK(child->options.path == "/bin/web");
    CHECK(child->options.argv == std::vector<std::string>{"/bin/web", "--flag"});
    CHECK(child->options.cwd == "/");
    CHECK(w.status("web").dir.empty());
    CHECK_FALSE(w.supervisor->resolve("/"));  // a working directory names no service
}

TEST_CASE("fake: a dependent waits until what it requires is up", "[supervisor][toml][deps]") {
    World w;
    w.supervisor->apply({oneshot("setup"), toml("web", {"setup"})});
    w.loop.run_ready();
    CHECK(w.state("setup") == State::Starting);
    CHECK(w.state("web") == State::Starting);
    CHECK(w.pid("web") == 0);
    CHECK_FALSE(w.running("web"));
    CHECK(w.status("web").main.reason == "waiting for setup");

    REQUIRE(w.children.exit(*w.running("setup"), core::ExitStatus::exited(0)));
    w.loop.run_ready();
    CHECK(w.state("setup") == State::Run);
    CHECK(w.state("web") == State::Run);
    CHECK(w.running("web"));
    CHECK(w.status("web").main.reason.empty());
}

TEST_CASE("fake: requires stops a dependent with its dependency and starts it again",
          "[supervisor][toml][deps]") {
    World w;
    w.children.exit_on_signals(true);
    w.supervisor->apply({toml("db"), toml("web", {"db"})});
    w.loop.run_ready();
    REQUIRE(w.state("web") == State::Run);
    const pid_t first = w.pid("web");

    REQUIRE(w.supervisor->command("db", services::Command::Down));
    w.loop.run_ready();
    CHECK(w.state("db") == State::Down);
    CHECK(w.state("web") == State::Starting);
    CHECK(w.status("web").main.want == services::Want::Up);
    CHECK(w.status("web").main.reason == "waiting for db");
    CHECK_FALSE(w.running("web"));

    REQUIRE(w.supervisor->command("db", services::Command::Up));
    w.loop.run_ready();
    CHECK(w.state("web") == State::Run);
    CHECK(w.pid("web") != first);
}

TEST_CASE("fake: a restart of a required service leaves its dependents running",
          "[supervisor][toml][deps]") {
    World w;
    w.supervisor->apply({toml("db"), toml("web", {"db"})});
    w.loop.run_ready();
    const pid_t web = w.pid("web");
    REQUIRE(w.children.exit(w.pid("db"), core::ExitStatus::exited(1)));
    w.loop.run_ready();
    CHECK(w.state("db") == State::Backoff);
    CHECK(w.pid("web") == web);
    CHECK(w.children.find(web)->signals.empty());
}

TEST_CASE("fake: stop_all stops dependents before what they require",
          "[supervisor][toml][deps]") {
    World w;
    w.supervisor->apply({toml("db"), toml("web", {"db"})});
    w.loop.run_ready();
    const pid_t db = w.pid("db");
    const pid_t web = w.pid("web");
    bool done = false;
    w.supervisor->stop_all([&] { done = true; });
    w.loop.run_ready();
    CHECK(w.children.find(web)->signals == std::vector<int>{SIGTERM, SIGCONT});
    CHECK(w.children.find(db)->signals.empty());

    REQUIRE(w.children.exit(web, core::ExitStatus::signaled(SIGTERM)));
    w.loop.run_ready();
    CHECK(w.children.find(db)->signals == std::vector<int>{SIGTERM, SIGCONT});
    REQUIRE(w.children.exit(db, core::ExitStatus::signaled(SIGTERM)));
    w.loop.run_ready();
    CHECK(done);
}
