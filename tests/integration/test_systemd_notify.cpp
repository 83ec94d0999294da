// svinit under systemd (Type=notify): the test is the service manager. It binds the datagram
// socket NOTIFY_SOCKET names (a path, or an @abstract name), starts svinit with it and
// WATCHDOG_USEC, and checks the messages svinit sends and their order. It waits for
// datagrams and for the services' events, never for time.

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "support/procfs.h"
#include "support/services.h"
#include "support/toml_services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// The manager's end: a bound datagram socket and the messages read from it so far.
class ManagerSocket {
public:
    // `name`: a path, or "@name" for the abstract namespace, as NOTIFY_SOCKET spells it.
    explicit ManagerSocket(std::string name) : name_(std::move(name)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(name_.size() < sizeof(addr.sun_path));
        std::memcpy(addr.sun_path, name_.data(), name_.size());
        if (name_.front() == '@') addr.sun_path[0] = '\0';
        fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
        REQUIRE(fd_.valid());
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size() +
                                                (name_.front() == '@' ? 0 : 1));
        REQUIRE(::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&addr), len) == 0);
    }

    const std::string& name() const { return name_; }

    // The next datagram, or nullopt when none comes within timeout.
    std::optional<std::string> next(Millis timeout = 10s) {
        pollfd p{fd_.get(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        std::array<char, 4096> buffer;
        const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
        REQUIRE(n >= 0);
        std::string message(buffer.data(), static_cast<std::size_t>(n));
        seen_.push_back(message);
        return message;
    }

    // Reads until `wanted` arrives (REQUIRE-ing it in time); returns what came before it,
    // watchdog pings left out.
    std::vector<std::string> until(const std::string& wanted, Millis timeout = 10s) {
        std::vector<std::string> before;
        for (;;) {
            auto message = next(timeout);
            INFO("waiting for '" << wanted << "'; received so far: " << history());
            REQUIRE(message.has_value());
            if (*message == wanted) return before;
            if (*message != "WATCHDOG=1") before.push_back(*message);
        }
    }
    // The same for the first message starting with `prefix`; returns that message.
    std::string until_prefix(const std::string& prefix, Millis timeout = 10s) {
        for (;;) {
            auto message = next(timeout);
            INFO("waiting for '" << prefix << "...'; received so far: " << history());
            REQUIRE(message.has_value());
            if (message->starts_with(prefix)) return *message;
        }
    }

    std::string history() const {
        std::string out;
        for (const auto& m : seen_) out += "[" + m + "] ";
        return out;
    }

private:
    std::string name_;
    UniqueFd fd_;
    std::vector<std::string> seen_;
};

// Sets environment variables for the svinit started while it lives (the test's own
// environment is what svinit inherits), and removes them after.
class ScopedEnv {
public:
    explicit ScopedEnv(std::vector<std::pair<std::string, std::string>> vars) : vars_(std::move(vars)) {
        for (const auto& [name, value] : vars_) ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        for (const auto& [name, value] : vars_) ::unsetenv(name.c_str());
    }

private:
    std::vector<std::pair<std::string, std::string>> vars_;
};

void say_go(const std::string& fifo) {
    std::ofstream(fifo) << "go\n";
}

bool contains(const std::vector<std::string>& messages, const std::string& wanted) {
    return std::find(messages.begin(), messages.end(), wanted) != messages.end();
}

}  // namespace

TEST_CASE("sd_notify: STATUS as services come up, READY=1 once all are ready, STOPPING=1 "
          "and EXTEND_TIMEOUT_USEC through a long shutdown; services never see NOTIFY_SOCKET",
          "[systemd][notify]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    ManagerSocket manager(s.dir() + "/notify.sock");
    const std::string fifo = s.events().path();
    const std::string go = s.dir() + "/go";
    const std::string release = s.dir() + "/release";
    REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
    REQUIRE(::mkfifo(release.c_str(), 0600) == 0);
    const std::string config = write_main_config(
        s,
        toml_service("plain",
                     "echo \"plain ${NOTIFY_SOCKET-unset} ${WATCHDOG_USEC-unset}\" > " + fifo +
                         "; exec sleep 100000") +
            // Ready once the test says so.
            toml_service("db",
                         "echo db-start > " + fifo + "; read line < " + go +
                             "; echo ready >&5; exec sleep 100000",
                         "[services.db.readiness]\ntype = \"fd\"\nfd = 5\ntimeout = \"60s\"") +
            // Takes its time to stop: until the test releases it.
            toml_service("slow",
                         "trap 'echo slow-term > " + fifo + "; read line < " + release +
                             "; exit 0' TERM; echo slow-up > " + fifo +
                             "; sleep 100000 & wait",
                         "[services.slow.stop]\ntimeout = \"60s\""));
    ScopedEnv env({{"NOTIFY_SOCKET", manager.name()}, {"WATCHDOG_USEC", "400000"}});
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());

    // The services' environment holds neither variable.
    for (int i = 0; i < 3; ++i) {
        const std::string event = s.next_event();
        if (event.starts_with("plain")) CHECK(event == "plain unset unset");
    }
    // Two up and db starting: told, and not ready yet.
    auto before = manager.until("STATUS=2 up, 1 starting");
    CHECK_FALSE(contains(before, "READY=1"));
    say_go(go);
    before = manager.until("READY=1");
    REQUIRE_FALSE(before.empty());
    CHECK(before.back() == "STATUS=3 up");
    CHECK_FALSE(contains(before, "READY=1"));
    // WATCHDOG_USEC=400000: a ping every 0.2 s.
    manager.until("WATCHDOG=1");

    // The shutdown: announced, then extended while slow takes its time.
    REQUIRE(::kill(s.host_pid(), SIGTERM) == 0);
    before = manager.until("STOPPING=1");
    CHECK_FALSE(contains(before, "READY=1"));  // sent once
    const std::string extend = manager.until_prefix("EXTEND_TIMEOUT_USEC=");
    const long long usec = std::atoll(extend.c_str() + std::strlen("EXTEND_TIMEOUT_USEC="));
    CHECK(usec > 0);
    CHECK(s.next_event() == "slow-term");
    manager.until_prefix("STATUS=shutting down: ");
    say_go(release);
    CHECK(s.svinit().wait(20s) == 0);
}

TEST_CASE("sd_notify: with only a main command, READY=1 once it started, at an @abstract "
          "address; WATCHDOG_PID naming svinit keeps the watchdog",
          "[systemd][notify]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    ManagerSocket manager("@svinit-test-notify/" + std::to_string(::getpid()) + "/" +
                          std::to_string(std::hash<std::string>{}(harness.dir())));
    // svinit is PID 1 of its namespace: WATCHDOG_PID=1 names it.
    ScopedEnv env({{"NOTIFY_SOCKET", manager.name()},
                   {"WATCHDOG_USEC", "400000"},
                   {"WATCHDOG_PID", "1"}});
    Process svinit = harness.start(
        {}, {"/bin/sh", "-c",
             "echo \"main ${NOTIFY_SOCKET-unset} ${WATCHDOG_USEC-unset} ${WATCHDOG_PID-unset}\"; "
             "exec sleep 100000"});
    expect_line(svinit, "main unset unset unset");
    const auto before = manager.until("READY=1");
    CHECK(before.empty());  // no services: no STATUS
    manager.until("WATCHDOG=1");
    const std::optional<pid_t> pid1 = svinit_host_pid(svinit);
    REQUIRE(pid1.has_value());
    REQUIRE(::kill(*pid1, SIGTERM) == 0);
    manager.until("STOPPING=1");
    CHECK(svinit.wait(20s) == 128 + SIGTERM);
}

TEST_CASE("sd_notify: a manager that does not listen costs one warning, never the run",
          "[systemd][notify]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    const std::string nobody = harness.dir() + "/nobody.sock";
    ScopedEnv env({{"NOTIFY_SOCKET", nobody}, {"WATCHDOG_USEC", "400000"}});
    Process svinit = harness.start({}, {"/bin/sh", "-c", "echo started; exec sleep 100000"});
    expect_line(svinit, "started");
    const std::optional<pid_t> pid1 = svinit_host_pid(svinit);
    REQUIRE(pid1.has_value());
    REQUIRE(::kill(*pid1, SIGTERM) == 0);  // STOPPING=1 and EXTEND_TIMEOUT_USEC fail too
    CHECK(svinit.wait(20s) == 128 + SIGTERM);
    const std::string& log = svinit.stderr_text();
    INFO("svinit's log:\n" << log);
    std::size_t warnings = 0;
    for (std::size_t at = log.find("sd_notify to "); at != std::string::npos;
         at = log.find("sd_notify to ", at + 1)) {
        ++warnings;
    }
    CHECK(warnings == 1);
    CHECK(log.find("sd_notify to " + nobody + ": No such file or directory") != std::string::npos);
}
