// The control socket refuses what it must (malformed and oversized requests, users other than
// root and the owner) and keeps serving everyone else.

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <utility>

#include "support/control_socket.h"
#include "support/procfs.h"
#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// Connects as uid/gid 65534 with no groups (root can, as the socket is 0666 now), sends a
// status request and returns the reply, read until the server closes.
std::string request_as_nobody(const std::string& socket) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    UniqueFd out_read(out[0]);
    UniqueFd out_write(out[1]);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Only plain system calls in here: no Catch2.
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(10);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, socket.data(), socket.size());
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) _exit(11);
        const char request[] = "{\"v\":1,\"cmd\":\"status\",\"services\":[]}\n";
        // The refusal may come before the request is sent: a failed send is no error.
        (void)::send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
        char chunk[4096];
        ssize_t got = 0;
        while ((got = ::recv(fd, chunk, sizeof chunk, 0)) > 0) {
            if (::write(out[1], chunk, static_cast<size_t>(got)) != got) _exit(13);
        }
        _exit(0);
    }
    out_write.reset();
    const Reply reply = read_to_close(out_read.get(), 10s);
    int status = 0;
    ::waitpid(child, &status, 0);
    INFO("the child running as 65534 read until " << reply.how);
    REQUIRE(decode_wait_status(status) == 0);
    return reply.data;
}

}  // namespace

TEST_CASE("malformed, oversized and unauthorised requests are refused, others served",
          "[supervision][control]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("web", ServiceFiles(sup.sleeper("web")));
    sup.start();
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});

    struct stat st {};
    REQUIRE(::stat(sup.socket().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);

    auto root_still_served = [&] {
        const CommandResult status = sup.svctl_ok({"status"});
        REQUIRE(status.lines.size() == 1);
        CHECK(status.lines[0].starts_with("run: web: (pid "));
    };

    // A client that sent half a request and waits does not hold anyone up.
    UniqueFd idle = connect_to(sup.socket());
    send_what_it_takes(idle.get(), R"({"v":1,"cmd":)");
    root_still_served();

    SECTION("garbage") {
        UniqueFd fd = connect_to(sup.socket());
        send_what_it_takes(fd.get(), "garbage\n");
        const Reply reply = read_to_close(fd.get(), 10s);
        INFO("reply: " << reply.data << "\nthen " << reply.how);
        CHECK(reply.data.find("bad_request") != std::string::npos);
        CHECK(reply.data.ends_with("\n"));
        CHECK(reply.how == "end of file");
        root_still_served();
    }

    SECTION("a line over 64 KiB") {
        UniqueFd fd = connect_to(sup.socket());
        const std::string huge =
            R"({"v":1,"cmd":"status","services":[")" + std::string(70 * 1024, 'x') + "\"]}\n";
        send_what_it_takes(fd.get(), huge);
        const Reply reply = read_to_close(fd.get(), 10s);
        INFO("reply: " << reply.data << "\nthen " << reply.how);
        CHECK(reply.data.find("too_large") != std::string::npos);
        CHECK(reply.closed);
        root_still_served();
    }

    SECTION("another user") {
        // Let uid 65534 reach the socket, so it is svinit's SO_PEERCRED check that refuses.
        REQUIRE(::chmod(sup.dir().c_str(), 0711) == 0);
        REQUIRE(::chmod(sup.socket().c_str(), 0666) == 0);

        // A few times: svinit may refuse before or after svctl has sent its request.
        for (int attempt = 1; attempt <= 5; ++attempt) {
            const CommandResult svctl =
                run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             SVINIT_BIN_DIR "/svctl", "--socket", sup.socket(), "status"},
                            10s);
            INFO("attempt " << attempt << ": " << svctl);
            CHECK(svctl.status == 4);
            CHECK(svctl.lines.empty());
        }

        const std::string reply = request_as_nobody(sup.socket());
        INFO("reply to 65534: " << reply);
        CHECK(reply.find("permission_denied") != std::string::npos);
        CHECK(reply.find("web") == std::string::npos);
        root_still_served();
    }

    // The half request is still pending, and svinit still serves.
    root_still_served();
    CHECK(sup.stop() == 0);
}

TEST_CASE("with --control-group the socket is 0660 and the group's, and only members get in",
          "[supervision][control]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    // Others may reach the socket; its directory is still writable by root alone.
    REQUIRE(::chmod(sup.dir().c_str(), 0755) == 0);

    sup.add("web", ServiceFiles(sup.sleeper("web")));
    sup.start({"--control-group", "65534"});
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web"});

    struct stat st {};
    REQUIRE(::lstat(sup.socket().c_str(), &st) == 0);
    CHECK(S_ISSOCK(st.st_mode));
    CHECK((st.st_mode & 07777) == 0660);
    CHECK(st.st_uid == 0);
    CHECK(st.st_gid == 65534);

    auto svctl_as = [&](const std::string& gid, const std::string& groups) {
        return run_command({"setpriv", "--reuid=65534", "--regid=" + gid, groups,
                            SVINIT_BIN_DIR "/svctl", "--socket", sup.socket(), "status", "web"},
                           10s);
    };
    // A member by its gid, and one by a supplementary group.
    for (const auto& [gid, groups] :
         {std::pair{"65534", "--clear-groups"}, std::pair{"65533", "--groups=65534"}}) {
        const CommandResult member = svctl_as(gid, groups);
        INFO("gid " << gid << ", " << groups << ": " << member << "\nsvinit's log:\n" << sup.log());
        CHECK(member.status == 0);
        REQUIRE(member.lines.size() == 1);
        CHECK(member.lines[0].starts_with("run: web: (pid "));
    }
    const CommandResult stranger = svctl_as("65533", "--clear-groups");
    INFO(stranger);
    CHECK(stranger.status == 4);
    CHECK(stranger.lines.empty());

    CHECK(sup.stop() == 0);
}

TEST_CASE("a socket directory others can write is refused, and the services run all the same",
          "[supervision][control]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    const std::string shared = sup.dir() + "/shared";
    REQUIRE(::mkdir(shared.c_str(), 0700) == 0);
    REQUIRE(::chmod(shared.c_str(), 01777) == 0);

    sup.add("web", ServiceFiles(sup.sleeper("web")));
    Process svinit = harness.start(
        {"--service-dir", sup.service_root(), "--control-socket", shared + "/control.sock"}, {});
    sup.next_start("web");
    const std::optional<pid_t> pid = svinit_host_pid(svinit);
    REQUIRE(pid.has_value());
    REQUIRE(::kill(*pid, SIGTERM) == 0);
    CHECK(svinit.wait(15s) == 0);

    const std::string log = svinit.stderr_text();
    INFO("svinit's log:\n" << log);
    CHECK(log.find("control socket directory " + shared +
                   ": writable by others (mode 1777); it must be owned by root (or svinit's "
                   "user) and writable by its owner only") != std::string::npos);
    CHECK(std::filesystem::is_empty(shared));
}
