// Readiness and health checks on the fake loop and fake children: exec checks are fake
// processes whose exit the test decides, tcp checks connect to real sockets on 127.0.0.1,
// and fd readiness reads a real pipe. Time moves only when a test advances the clock.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <optional>
#include <vector>

#include "core/unique_fd.h"
#include "fakes/fake_children.h"
#include "fakes/fake_loop.h"
#include "services/health_probe.h"
#include "services/readiness_probe.h"
#include "services/supervisor.h"

using namespace svinit;
using namespace std::chrono_literals;
using services::ReadinessProbe;
using services::State;
using svinit::test::FakeChildren;
using svinit::test::FakeLoop;
using Verdict = ReadinessProbe::Verdict;

namespace {

constexpr const char* kCheck = "/bin/check";

services::ProcessSpec process() {
    services::ProcessSpec p;
    p.dir = "/";
    p.command = {"/bin/daemon"};
    p.exec.environment = {{"MODE", "test"}};
    return p;
}

services::ReadinessSpec exec_readiness(unsigned retries) {
    services::ReadinessSpec r;
    r.method = services::ExecCheck{{kCheck, "--ping"}};
    r.interval = 1s;
    r.check_timeout = 500ms;
    r.retries = retries;
    return r;
}

// A TCP socket bound to an ephemeral port of 127.0.0.1; listening or not.
struct Port {
    core::UniqueFd fd;
    std::uint16_t port = 0;
};

Port bind_port(bool listening) {
    Port p;
    p.fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(p.fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(p.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(p.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    if (listening) REQUIRE(::listen(p.fd.get(), 8) == 0);
    p.port = ntohs(addr.sin_port);
    return p;
}

struct Probe {
    FakeLoop loop;
    FakeChildren children{loop};
    services::ProcessSpec spec = process();
    std::vector<Verdict> verdicts;
    std::optional<ReadinessProbe> probe;

    explicit Probe(services::ReadinessSpec readiness) {
        probe.emplace(loop, children, "web", spec, std::move(readiness),
                      [this](Verdict v) { verdicts.push_back(v); });
    }
    // Runs to the next try and returns the check's pid.
    pid_t next_try() {
        loop.advance(1s);
        auto pid = children.newest(kCheck);
        REQUIRE(pid);
        return *pid;
    }
    void finish(pid_t pid, int code) {
        REQUIRE(children.exit(pid, core::ExitStatus::exited(code)));
        loop.run_ready();
    }
};

}  // namespace

TEST_CASE("probe: an exec readiness check is the service's argv, tried every interval",
          "[readiness][probe]") {
    Probe p(exec_readiness(0));
    p.probe->begin();
    p.loop.advance(999ms);
    CHECK(p.children.spawned() == 0);  // the first try comes one interval after the spawn
    p.loop.advance(1ms);
    REQUIRE(p.children.newest(kCheck));
    const pid_t first = *p.children.newest(kCheck);
    const auto* child = p.children.find(first);
    REQUIRE(child);
    CHECK(child->options.argv == std::vector<std::string>{kCheck, "--ping"});
    CHECK(child->options.cwd == "/");
    CHECK(child->options.new_process_group);
    REQUIRE(child->options.env);
    CHECK(std::find(child->options.env->begin(), child->options.env->end(), "MODE=test") !=
          child->options.env->end());

    p.finish(first, 1);
    CHECK(p.verdicts.empty());
    CHECK(p.probe->failed_tries() == 1);
    CHECK(p.probe->last_failure() == "exited with status 1");
    p.finish(p.next_try(), 3);
    CHECK(p.verdicts.empty());
    p.finish(p.next_try(), 0);  // ready on the third try
    CHECK(p.verdicts == std::vector<Verdict>{Verdict::Ready});
    p.loop.advance(10s);
    CHECK(p.children.spawned() == 3);  // no more tries once ready
    CHECK(p.loop.timer_count() == 0);
}

TEST_CASE("probe: readiness gives up after `retries` failed tries", "[readiness][probe]") {
    Probe p(exec_readiness(3));
    p.probe->begin();
    p.finish(p.next_try(), 1);
    p.finish(p.next_try(), 1);
    CHECK(p.verdicts.empty());
    p.finish(p.next_try(), 1);
    CHECK(p.verdicts == std::vector<Verdict>{Verdict::GaveUp});
    p.loop.advance(10s);
    CHECK(p.children.spawned() == 3);
}

TEST_CASE("probe: an exec check that overruns its timeout is killed with its group, and fails",
          "[readiness][probe]") {
    Probe p(exec_readiness(1));
    p.probe->begin();
    const pid_t pid = p.next_try();
    p.loop.advance(499ms);
    CHECK(p.verdicts.empty());
    const auto* child = p.children.find(pid);
    REQUIRE(child);
    CHECK(child->signals.empty());
    p.loop.advance(1ms);
    // Killed: the fake reaps a child that got SIGKILL; one only let go of would stay.
    CHECK_FALSE(p.children.find(pid));
    CHECK(p.verdicts == std::vector<Verdict>{Verdict::GaveUp});
    CHECK(p.probe->last_failure() == "timed out after 0.5s");
}

TEST_CASE("probe: a check that cannot be spawned is a failed try, reported from the loop",
          "[readiness][probe]") {
    Probe p(exec_readiness(1));
    p.probe->begin();
    p.children.fail_next_spawn(EAGAIN);
    p.loop.advance(1s);
    CHECK(p.verdicts == std::vector<Verdict>{Verdict::GaveUp});
}

TEST_CASE("probe: stopping (or destroying) a probe mid-check kills the check and cancels all",
          "[readiness][probe]") {
    Probe p(exec_readiness(0));
    p.probe->begin();
    const pid_t pid = p.next_try();
    SECTION("stop") {
        p.probe->stop();
    }
    SECTION("destroy") {
        p.probe.reset();
    }
    const auto* child = p.children.find(pid);
    REQUIRE(child);
    CHECK(child->signals == std::vector<int>{SIGKILL});
    CHECK_FALSE(child->tracked);
    p.loop.run_ready();  // the fake's reaping of the killed check
    CHECK(p.loop.timer_count() == 0);
    p.loop.advance(10s);
    CHECK(p.children.spawned() == 1);
    CHECK(p.verdicts.empty());
}

TEST_CASE("probe: tcp readiness passes once the port accepts a connection",
          "[readiness][probe][tcp]") {
    const Port closed = bind_port(false);  // bound, not listening: connections are refused
    services::ReadinessSpec r;
    r.method = services::TcpCheck{"127.0.0.1", closed.port};
    r.interval = 1s;
    r.check_timeout = 500ms;
    Probe p(r);
    p.probe->begin();
    p.loop.advance(1s);
    p.loop.run_ready();
    CHECK(p.verdicts.empty());
    CHECK(p.probe->failed_tries() == 1);
    CHECK_THAT(p.probe->last_failure(), Catch::Contains("Connection refused"));

    REQUIRE(::listen(closed.fd.get(), 8) == 0);  // the service listens now
    p.loop.advance(1s);
    p.loop.run_ready();
    CHECK(p.verdicts == std::vector<Verdict>{Verdict::Ready});
    CHECK(p.loop.watch_count() == 0);
}

TEST_CASE("probe: fd readiness is a newline on the run's pipe", "[readiness][probe][fd]") {
    services::ReadinessSpec r;
    r.method = services::FdReadiness{5};
    Probe p(r);
    auto write_end = p.probe->open_pipe();
    REQUIRE(write_end);
    CHECK(p.loop.watch_count() == 1);

    SECTION("a newline, after other bytes") {
        REQUIRE(::write(write_end->get(), "starting", 8) == 8);
        p.loop.run_ready();
        CHECK(p.verdicts.empty());
        REQUIRE(::write(write_end->get(), "\n", 1) == 1);
        p.loop.run_ready();
        CHECK(p.verdicts == std::vector<Verdict>{Verdict::Ready});
        CHECK(p.loop.watch_count() == 0);  // the pipe is closed once ready
    }
    SECTION("end-of-file first: never ready, the timeout decides") {
        REQUIRE(::write(write_end->get(), "x", 1) == 1);
        write_end->reset();
        p.loop.run_ready();
        CHECK(p.verdicts.empty());
        CHECK(p.loop.watch_count() == 0);
    }
    SECTION("a new run gets a new pipe; the old one is closed") {
        auto second = p.probe->open_pipe();
        REQUIRE(second);
        pollfd old{write_end->get(), POLLOUT, 0};
        REQUIRE(::poll(&old, 1, 0) == 1);
        CHECK((old.revents & POLLERR) != 0);  // nobody reads the old pipe any more
        CHECK(p.loop.watch_count() == 1);
    }
}

namespace {

struct Health {
    FakeLoop loop;
    FakeChildren children{loop};
    services::ProcessSpec spec = process();
    int unhealthy = 0;
    std::optional<services::HealthProbe> probe;

    Health() {
        services::HealthSpec h;
        h.check = services::ExecCheck{{kCheck}};
        h.interval = 10s;
        h.timeout = 2s;
        h.failures = 3;
        probe.emplace(loop, children, "web", spec, h, [this] { ++unhealthy; });
    }
    void check(int code) {
        loop.advance(10s);
        auto pid = children.newest(kCheck);
        REQUIRE(pid);
        REQUIRE(children.exit(*pid, core::ExitStatus::exited(code)));
        loop.run_ready();
    }
};

}  // namespace

TEST_CASE("probe: health failures in a row make it unhealthy; a pass resets the count",
          "[health][probe]") {
    Health h;
    h.probe->begin();
    CHECK(h.probe->status().state == services::Health::Starting);
    h.check(0);
    CHECK(h.probe->status().state == services::Health::Healthy);
    CHECK(h.probe->status().last == "passed");
    h.check(1);
    h.check(1);
    CHECK(h.probe->status().state == services::Health::Unhealthy);
    CHECK(h.probe->status().failures == 2);
    h.check(0);  // not three in a row
    CHECK(h.probe->status().failures == 0);
    h.check(1);
    h.check(1);
    CHECK(h.unhealthy == 0);
    h.check(2);
    CHECK(h.unhealthy == 1);
    CHECK(h.probe->status().failures == 3);
    CHECK(h.probe->status().last == "exited with status 2");
    CHECK_FALSE(h.probe->active());  // reported once; the service's restart starts it again
    h.loop.advance(60s);
    CHECK(h.children.spawned() == 7);
}

namespace {

services::ServiceSpec toml_service(const std::string& name) {
    services::ServiceSpec s;
    s.name = name;
    s.source = services::SourceKind::Toml;
    s.main.dir = "/";
    s.main.command = {"/bin/" + name};
    s.stop.kill = services::KillMode::Group;
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
};

}  // namespace

TEST_CASE("fake: a dependent starts once an exec readiness check passes",
          "[supervisor][readiness][probe]") {
    World w;
    auto db = toml_service("db");
    db.readiness = exec_readiness(0);
    auto web = toml_service("web");
    web.deps.required = {"db"};
    w.supervisor->apply({db, web});
    w.loop.run_ready();
    CHECK(w.state("db") == State::Starting);
    CHECK(w.state("web") == State::Starting);
    CHECK_FALSE(w.children.newest("/bin/web"));
    w.loop.advance(1s);
    REQUIRE(w.children.exit(*w.children.newest(kCheck), core::ExitStatus::exited(1)));
    w.loop.run_ready();
    CHECK(w.status("db").main.reason ==
          "readiness check failed 1 time, last: exited with status 1");
    CHECK_FALSE(w.children.newest("/bin/web"));
    w.loop.advance(1s);
    REQUIRE(w.children.exit(*w.children.newest(kCheck), core::ExitStatus::exited(0)));
    w.loop.run_ready();
    CHECK(w.state("db") == State::Run);
    CHECK(w.state("web") == State::Run);
    CHECK(w.children.newest("/bin/web"));
}

TEST_CASE("fake: a failing health check restarts the service through its backoff",
          "[supervisor][health][probe]") {
    World w;
    w.children.exit_on_signals(true);
    auto web = toml_service("web");
    services::HealthSpec h;
    h.check = services::ExecCheck{{kCheck}};
    h.interval = 10s;
    h.timeout = 2s;
    h.failures = 2;
    web.health = h;
    w.supervisor->apply({web});
    w.loop.run_ready();
    REQUIRE(w.state("web") == State::Run);
    const pid_t first = w.status("web").main.pid;
    REQUIRE(w.status("web").health);
    CHECK(w.status("web").health->state == services::Health::Starting);
    CHECK(w.supervisor->check());
    for (int i = 0; i < 2; ++i) {
        w.loop.advance(10s);
        REQUIRE(w.children.exit(*w.children.newest(kCheck), core::ExitStatus::exited(1)));
        w.loop.run_ready();
        if (i == 0) {
            CHECK(w.status("web").health->state == services::Health::Unhealthy);
            CHECK_FALSE(w.supervisor->check());  // unhealthy counts as failing
        }
    }
    CHECK(w.state("web") == State::Backoff);
    CHECK(w.status("web").main.reason.starts_with("unhealthy"));
    w.loop.advance(1s);
    CHECK(w.state("web") == State::Run);
    CHECK(w.status("web").main.pid != first);
    CHECK(w.status("web").health->state == services::Health::Starting);  // a fresh run
    CHECK(w.supervisor->check());
}

TEST_CASE("fake: removing a service mid-check cancels the check", "[supervisor][health][probe]") {
    World w;
    w.children.exit_on_signals(true);
    auto web = toml_service("web");
    services::HealthSpec h;
    h.check = services::ExecCheck{{kCheck}};
    h.interval = 10s;
    web.health = h;
    w.supervisor->apply({web});
    w.loop.run_ready();
    w.loop.advance(10s);
    const auto check = w.children.newest(kCheck);
    REQUIRE(check);
    w.supervisor->apply({});
    const auto* child = w.children.find(*check);
    REQUIRE(child);
    CHECK(child->signals == std::vector<int>{SIGKILL});
    CHECK_FALSE(child->tracked);
    w.loop.run_ready();
    CHECK_FALSE(w.supervisor->status("web"));
    CHECK_FALSE(w.children.find(*check));
    CHECK(w.loop.timer_count() == 0);
}
