// [readiness] types fd, exec and tcp, and [health], with real processes: a dependent must
// not start before what it requires is ready (checked by what the dependent finds when it
// starts, and by the order of events on the FIFO, never by timing), and a failing health
// check restarts its service.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/services.h"
#include "support/toml_services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {


// A port of 127.0.0.1 nobody listens on now: bound to 0, read, closed.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    ::close(fd);
    REQUIRE(ok);
    return ntohs(addr.sin_port);
}

void say_go(const std::string& go) {
    std::ofstream(go) << "go\n";
}

}  // namespace

TEST_CASE("readiness fd: a dependent starts once its dependency writes a newline to fd N",
          "[toml][readiness]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string go = s.dir() + "/go";
    REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
    const std::string config = write_main_config(
        s, toml_service("db",
                   "echo db-start > " + fifo + "; read line < " + go +
                       "; echo ready >&5; exec sleep 100000",
                   "[services.db.readiness]\ntype = \"fd\"\nfd = 5\ntimeout = \"60s\"") +
               toml_service("web", "echo \"web $$\" > " + fifo + "; exec sleep 100000",
                       "requires = [\"db\"]"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    CHECK(s.next_event() == "db-start");
    CHECK(s.status("db")["state"] == "starting");
    CHECK(s.status("web")["pid"] == 0);
    CHECK(s.svctl({"wait", "ready", "db", "--timeout", "0"}).status == 1);
    say_go(go);
    s.next_start("web");
    s.svctl_ok({"wait", "ready", "db", "web", "--timeout", "30"});
    CHECK(s.stop() == 0);
}

TEST_CASE("readiness exec: a check command tried every interval gates the dependent",
          "[toml][readiness]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string go = s.dir() + "/go";
    const std::string flag = s.dir() + "/db-ready";
    REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
    const std::string config = write_main_config(
        s, toml_service("db",
                   "echo db-start > " + fifo + "; read line < " + go + "; touch " + flag +
                       "; exec sleep 100000",
                   "[services.db.readiness]\ntype = \"exec\"\ncommand = [\"/bin/sh\", \"-c\", "
                   "\"test -e " +
                       flag + "\"]\ninterval = \"50ms\"\ncheck-timeout = \"5s\"") +
               toml_service("web",
                       "if test -e " + flag + "; then echo web-after > " + fifo +
                           "; else echo web-before > " + fifo + "; fi; exec sleep 100000",
                       "requires = [\"db\"]"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    CHECK(s.next_event() == "db-start");
    CHECK(s.status("web")["pid"] == 0);
    say_go(go);
    CHECK(s.next_event() == "web-after");
    s.svctl_ok({"wait", "ready", "db", "web", "--timeout", "30"});
    CHECK(s.stop() == 0);
}

TEST_CASE("readiness exec: retries spent is a failed start that backs off", "[toml][readiness]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string config = write_main_config(
        s, toml_service("db", "echo \"db $$\" > " + fifo + "; exec sleep 100000",
                   "[services.db.readiness]\ntype = \"exec\"\ncommand = [\"/bin/false\"]\n"
                   "interval = \"10ms\"\nretries = 2"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    const pid_t first = s.next_start("db");
    // Given up, stopped, backed off and started again: a new process.
    CHECK(s.next_start("db") != first);
    CHECK(s.svctl({"wait", "ready", "db", "--timeout", "0"}).status == 1);
    CHECK(s.stop() == 0);
}

TEST_CASE("readiness tcp: the dependent starts once the port accepts connections",
          "[toml][readiness]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string go = s.dir() + "/go";
    REQUIRE(::mkfifo(go.c_str(), 0600) == 0);
    const std::string port = std::to_string(free_port());
    const std::string config = write_main_config(
        s, toml_service("db",
                   "echo db-start > " + fifo + "; read line < " + go + "; exec " +
                       helper("listener") + " " + port,
                   "[services.db.readiness]\ntype = \"tcp\"\nport = " + port +
                       "\ninterval = \"50ms\"\ncheck-timeout = \"5s\"") +
               // bash's /dev/tcp: does the port accept a connection when web starts?
               "[services.web]\ncommand = [\"/bin/bash\", \"-c\", '''if (exec 3<>/dev/tcp/"
               "127.0.0.1/" +
               port + ") 2>/dev/null; then echo web-after > " + fifo + "; else echo web-before > " +
               fifo +
               "; fi; exec sleep 100000''']\n"
               "requires = [\"db\"]\n");
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    CHECK(s.next_event() == "db-start");
    CHECK(s.status("db")["state"] == "starting");
    CHECK(s.status("web")["pid"] == 0);
    say_go(go);
    CHECK(s.next_event() == "web-after");
    s.svctl_ok({"wait", "ready", "db", "web", "--timeout", "30"});
    CHECK(s.stop() == 0);
}

TEST_CASE("health: failing checks in a row restart the service", "[toml][health]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string fifo = s.events().path();
    const std::string sick = s.dir() + "/sick";
    // The check reports only its failures, so a healthy service sends no events.
    const std::string config = write_main_config(
        s, toml_service("web", "echo \"web $$\" > " + fifo + "; exec sleep 100000",
                   "[services.web.health]\ntype = \"exec\"\ncommand = [\"/bin/sh\", \"-c\", "
                   "\"if test -e " +
                       sick + "; then echo check-failed > " + fifo +
                       "; exit 1; fi\"]\ninterval = \"100ms\"\ntimeout = \"5s\"\nfailures = 2"));
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    const pid_t first = s.next_start("web");
    s.svctl_ok({"wait", "ready", "web", "--timeout", "30"});
    write_file(sick, "");
    CHECK(s.next_event() == "check-failed");
    CHECK(s.next_event() == "check-failed");
    const pid_t second = s.next_start("web");
    CHECK(second != first);
    std::filesystem::remove(sick);
    CHECK_THAT(s.log(), Catch::Contains("web: unhealthy: 2 health checks failed in a row"));
    const auto status = s.status("web");
    REQUIRE(status.contains("health"));
    CHECK(status["health"].is_object());
    CHECK(status["restarts"].get<int>() >= 0);
    const CommandResult text = s.svctl({"status", "web"});
    CHECK_THAT(text.lines.at(0), Catch::Contains("; health: "));
    CHECK(s.stop() == 0);
}
