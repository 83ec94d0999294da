// svinit's side of sd_notify as a sender: NOTIFY_SOCKET addresses, what is taken out of the
// environment, the status line, and the stop budget EXTEND_TIMEOUT_USEC stays within.

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/notify_sender.h"
#include "core/unix_address.h"
#include "fakes/fake_loop.h"
#include "pid1/manager_notifier.h"
#include "services/service_counts.h"

using namespace svinit;
using namespace std::chrono_literals;

TEST_CASE("unix_address: a path keeps its NUL, @name is abstract, too long is refused",
          "[notify][systemd]") {
    auto path = core::unix_address("/run/systemd/notify");
    REQUIRE(path);
    CHECK(std::string(path->addr.sun_path) == "/run/systemd/notify");
    CHECK(path->length == offsetof(sockaddr_un, sun_path) + 20);
    auto abstract = core::unix_address("@svinit/x");
    REQUIRE(abstract);
    CHECK(abstract->addr.sun_path[0] == '\0');
    CHECK(std::string(abstract->addr.sun_path + 1, 8) == "svinit/x");
    CHECK(abstract->length == offsetof(sockaddr_un, sun_path) + 9);
    CHECK(core::unix_address("@" + std::string(107, 'a')));
    CHECK(core::unix_address(std::string(108, 'a')).error().code == ENAMETOOLONG);
    CHECK(core::unix_address("").error().code == EINVAL);
    CHECK(core::unix_address("@").error().code == EINVAL);
}

TEST_CASE("take_notify_env: reads and removes NOTIFY_SOCKET and WATCHDOG_*; the watchdog "
          "only for this pid",
          "[notify][systemd]") {
    ::setenv("NOTIFY_SOCKET", "@manager", 1);
    ::setenv("WATCHDOG_USEC", "30000000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
    auto env = core::take_notify_env();
    CHECK(env.socket == "@manager");
    CHECK(env.watchdog == std::chrono::microseconds(30000000));
    CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
    CHECK(std::getenv("WATCHDOG_USEC") == nullptr);
    CHECK(std::getenv("WATCHDOG_PID") == nullptr);
    CHECK(core::take_notify_env().socket.empty());  // gone for good

    ::setenv("WATCHDOG_USEC", "30000000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    CHECK_FALSE(core::take_notify_env().watchdog);  // another process's watchdog
    ::setenv("WATCHDOG_USEC", "soon", 1);
    CHECK_FALSE(core::take_notify_env().watchdog);
    ::setenv("WATCHDOG_USEC", "0", 1);
    CHECK_FALSE(core::take_notify_env().watchdog);
}

TEST_CASE("NotifySender: one datagram per message; a manager that is gone is an error, not a "
          "block",
          "[notify][systemd]") {
    const std::string name = "@svinit-unit-notify/" + std::to_string(::getpid());
    auto addr = core::unix_address(name);
    REQUIRE(addr);
    core::UniqueFd receiver(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    REQUIRE(::bind(receiver.get(), addr->get(), addr->length) == 0);
    auto sender = core::NotifySender::open(name);
    REQUIRE(sender);
    REQUIRE(sender->send("READY=1"));
    REQUIRE(sender->send("STATUS=1 up"));
    std::array<char, 64> buffer{};
    CHECK(std::string(buffer.data(), static_cast<std::size_t>(
                                         ::recv(receiver.get(), buffer.data(), buffer.size(), 0))) ==
          "READY=1");
    CHECK(std::string(buffer.data(), static_cast<std::size_t>(
                                         ::recv(receiver.get(), buffer.data(), buffer.size(), 0))) ==
          "STATUS=1 up");
    receiver.reset();
    auto failed = sender->send("STOPPING=1");
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == ECONNREFUSED);
}

TEST_CASE("service counts: by the run program's state, and whether all are as wanted",
          "[notify][systemd]") {
    using services::State;
    using services::Want;
    services::ServiceCounts counts;
    CHECK(services::describe(counts) == "no services");
    CHECK(counts.all_as_wanted);
    auto status = [](State state, Want want) {
        services::ServiceStatus s;
        s.main.state = state;
        s.main.want = want;
        return s;
    };
    for (int i = 0; i < 12; ++i) services::add_to(counts, status(State::Run, Want::Up));
    CHECK(services::describe(counts) == "12 up");
    CHECK(counts.all_as_wanted);
    services::add_to(counts, status(State::Down, Want::Down));  // normally down: as wanted
    CHECK(counts.all_as_wanted);
    services::add_to(counts, status(State::Backoff, Want::Up));
    CHECK_FALSE(counts.all_as_wanted);
    services::add_to(counts, status(State::Starting, Want::Up));
    services::add_to(counts, status(State::Finish, Want::Up));
    services::add_to(counts, status(State::Failed, Want::Up));
    CHECK(services::describe(counts) ==
          "12 up, 1 starting, 1 backing off, 1 stopping, 1 down, 1 failed");

    services::ServiceCounts logger_down;
    auto with_logger = status(State::Run, Want::Up);
    with_logger.log = services::ProcessStatus{};
    with_logger.log->want = Want::Up;
    with_logger.log->state = State::Backoff;
    services::add_to(logger_down, with_logger);
    CHECK(services::describe(logger_down) == "1 up");
    CHECK_FALSE(logger_down.all_as_wanted);  // its logger is not up yet
}

TEST_CASE("stop budget: what svinit's own timeouts allow for an orderly shutdown",
          "[notify][systemd]") {
    pid1::InitConfig config;
    config.supervise = true;
    config.service_policy.stop_timeout = 10s;
    config.service_policy.finish_timeout = 5s;
    config.kill_grace = 5s;
    CHECK(pid1::stop_budget(config) == 30s);  // the unit's TimeoutStopSec=60s is above it
    config.command = {"app"};
    CHECK(pid1::stop_budget(config) == 30s);  // the command stops beside the services
    CHECK(pid1::stop_budget(config, 125s) == 130s);  // a TOML service's own stop timeout
    config.supervise = false;
    CHECK(pid1::stop_budget(config) == 15s);
    config.kill_all_on_exit = false;
    CHECK(pid1::stop_budget(config) == 10s);
    config.supervise = true;
    config.kill_all_on_exit = true;
    config.lifecycle.my_init = true;
    config.lifecycle.shutdown_script_limit = 30s;
    CHECK(pid1::stop_budget(config) == 10s + 60s + 25s + 5s);
}

// ---- ManagerNotifier on the fake loop: what is sent, when, and which timers exist.
namespace {

using services::State;
using services::Want;

// Services by name with settable states; observers told of changes the test makes.
class CountingSupervisor final : public services::SupervisorApi {
public:
    std::map<std::string, services::ServiceStatus> services;
    std::map<std::uint64_t, services::ChangeObserver> observers;
    std::uint64_t next_observer = 1;

    void set(const std::string& name, State state, Want want = Want::Up) {
        auto& s = services[name];
        s.name = name;
        s.main.state = state;
        s.main.want = want;
        for (const auto& [id, observer] : observers) observer(name);
    }

    std::vector<std::string> service_names() const override {
        std::vector<std::string> names;
        for (const auto& [name, s] : services) names.push_back(name);
        return names;
    }
    std::optional<std::string> resolve(std::string_view name) const override {
        return std::string(name);
    }
    std::optional<services::ServiceStatus> status(std::string_view name) const override {
        const auto it = services.find(std::string(name));
        if (it == services.end()) return std::nullopt;
        return it->second;
    }
    core::Result<void> command(std::string_view, services::Command) override { return {}; }
    void cancel_wait(services::WaitId) override {}
    WaitHandle wait(std::string_view, services::WaitTarget, std::function<void(bool)>) override {
        return {};
    }
    ObserverHandle observe(services::ChangeObserver observer) override {
        const auto id = next_observer++;
        observers.emplace(id, std::move(observer));
        return {*this, services::ObserverId{id}};
    }
    void unobserve(services::ObserverId id) override {
        observers.erase(static_cast<std::uint64_t>(id));
    }
    void shutdown() override {}
    bool check() const override { return true; }
};

class FakeInit final : public pid1::InitView {
public:
    pid1::Phase current = pid1::Phase::Idle;
    pid1::InitConfig init_config;
    CountingSupervisor* services = nullptr;
    std::function<void(pid1::Phase)> observer;

    void enter(pid1::Phase phase) {
        current = phase;
        if (observer) observer(phase);
    }

    pid1::Phase phase() const noexcept override { return current; }
    const pid1::InitConfig& config() const noexcept override { return init_config; }
    services::SupervisorApi* supervisor_api() noexcept override { return services; }
    void unobserve_phase(pid1::PhaseObserverId) override { observer = nullptr; }
    PhaseObserverHandle observe_phase(std::function<void(pid1::Phase)> o) override {
        observer = std::move(o);
        return {*this, pid1::PhaseObserverId{1}};
    }
};

// The manager's end of the socket.
class Manager {
public:
    Manager() {
        name_ = "@svinit-unit-manager/" + std::to_string(::getpid());
        auto addr = core::unix_address(name_);
        REQUIRE(addr);
        fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        REQUIRE(::bind(fd_.get(), addr->get(), addr->length) == 0);
    }
    core::NotifySender sender() const {
        auto sender = core::NotifySender::open(name_);
        REQUIRE(sender);
        return std::move(*sender);
    }
    // Every message waiting now.
    std::vector<std::string> take() {
        std::vector<std::string> out;
        std::array<char, 512> buffer{};
        for (;;) {
            const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
            if (n < 0) return out;
            out.emplace_back(buffer.data(), static_cast<std::size_t>(n));
        }
    }

private:
    std::string name_;
    core::UniqueFd fd_;
};

using Messages = std::vector<std::string>;

}  // namespace

TEST_CASE("ManagerNotifier: a mass start is told in one STATUS per 100 ms, READY=1 once all "
          "are up, and nothing is armed while nothing changes",
          "[notify][systemd]") {
    test::FakeLoop loop;
    Manager manager;
    CountingSupervisor supervisor;
    FakeInit init;
    init.init_config.supervise = true;
    init.services = &supervisor;
    pid1::ManagerNotifier notifier(loop, init, {manager.sender(), std::nullopt});
    REQUIRE(notifier.start());
    CHECK(loop.timer_count() == 0);  // no watchdog asked for

    init.enter(pid1::Phase::Running);
    for (int i = 0; i < 1000; ++i) supervisor.set("s" + std::to_string(i), State::Starting);
    CHECK(loop.timer_count() == 1);  // a thousand changes, one pending timer
    loop.run_ready();
    CHECK(manager.take() == Messages{"STATUS=1000 starting"});

    for (int i = 0; i < 999; ++i) supervisor.set("s" + std::to_string(i), State::Run);
    loop.advance(std::chrono::milliseconds(50));
    CHECK(manager.take().empty());  // within 100 ms of the last
    loop.advance(std::chrono::milliseconds(50));
    CHECK(manager.take() == Messages{"STATUS=999 up, 1 starting"});
    CHECK(loop.timer_count() == 0);

    supervisor.set("s999", State::Run);
    loop.advance(std::chrono::milliseconds(100));
    CHECK(manager.take() == Messages{"STATUS=1000 up", "READY=1"});
    supervisor.set("s0", State::Backoff);
    loop.advance(std::chrono::milliseconds(100));
    CHECK(manager.take() == Messages{"STATUS=999 up, 1 backing off"});  // READY=1 only once
    CHECK(loop.timer_count() == 0);
}

TEST_CASE("ManagerNotifier: STOPPING=1 at the shutdown, EXTEND_TIMEOUT_USEC every 5 s up to "
          "the stop budget; WATCHDOG=1 every half interval",
          "[notify][systemd]") {
    test::FakeLoop loop;
    Manager manager;
    FakeInit init;  // a main command alone: budget 10 s stop + 5 s sweep
    init.init_config.command = {"app"};
    init.init_config.service_policy.stop_timeout = 10s;
    init.init_config.kill_grace = 5s;
    pid1::ManagerNotifier notifier(loop, init, {manager.sender(), std::chrono::seconds(4)});
    REQUIRE(notifier.start());
    CHECK(loop.timer_count() == 1);  // the watchdog's
    init.enter(pid1::Phase::Running);
    loop.run_ready();
    CHECK(manager.take() == Messages{"READY=1"});  // no services: no STATUS
    loop.advance(2s);
    CHECK(manager.take() == Messages{"WATCHDOG=1"});

    init.enter(pid1::Phase::Sweeping);
    CHECK(manager.take() == Messages{"STOPPING=1", "EXTEND_TIMEOUT_USEC=10000000"});
    loop.advance(5s);  // pings 2 and 4 s into the shutdown, the renewal at 5 s
    CHECK(manager.take() ==
          Messages{"WATCHDOG=1", "WATCHDOG=1", "EXTEND_TIMEOUT_USEC=10000000"});
    loop.advance(5s);
    CHECK(manager.take() == Messages{"WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1",
                                     "EXTEND_TIMEOUT_USEC=5000000"});  // what is left
    loop.advance(5s);  // the budget is spent: the renewals end
    CHECK(manager.take() == Messages{"WATCHDOG=1", "WATCHDOG=1"});
    CHECK(loop.timer_count() == 1);  // the watchdog's alone
}
