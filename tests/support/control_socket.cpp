#include "support/control_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

namespace svinit::test {
namespace {

using Clock = std::chrono::steady_clock;

int poll_left(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<Millis>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(left);
}

}  // namespace

UniqueFd connect_to(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd.valid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        FAIL("connect " << path << ": " << std::strerror(errno));
    }
    return fd;
}

void send_what_it_takes(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0) return;  // EPIPE, ECONNRESET: the server has hung up
        data.remove_prefix(static_cast<size_t>(sent));
    }
}

Reply read_to_close(int fd, Millis timeout) {
    Reply reply;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, poll_left(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            reply.how = "still open after " + std::to_string(timeout.count()) + " ms";
            return reply;
        }
        char chunk[4096];
        const ssize_t got = ::read(fd, chunk, sizeof chunk);
        if (got > 0) {
            reply.data.append(chunk, static_cast<size_t>(got));
        } else if (got == 0 || errno == ECONNRESET) {
            reply.closed = true;
            reply.how = got == 0 ? "end of file" : "ECONNRESET";
            return reply;
        } else if (errno != EINTR) {
            reply.how = std::string("recv: ") + std::strerror(errno);
            return reply;
        }
    }
}

std::string read_line_from(int fd, Millis timeout) {
    std::string line;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, poll_left(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return "";
        char c = 0;
        const ssize_t got = ::read(fd, &c, 1);  // byte by byte: nothing past the line is taken
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return "";
        if (c == '\n') return line;
        line.push_back(c);
    }
}

}  // namespace svinit::test
