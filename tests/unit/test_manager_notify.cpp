// svinit's side of sd_notify as a sender: NOTIFY_SOCKET addresses, what is taken out of the
// environment, the status line, and the stop budget EXTEND_TIMEOUT_USEC stays within.

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "core/notify_sender.h"
#include "core/unix_address.h"
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
