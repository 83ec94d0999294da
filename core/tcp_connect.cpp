#include "core/tcp_connect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <cstring>

namespace svinit::core {

Result<TcpAddress> tcp_address(std::string_view host_view, std::uint16_t port) {
    const std::string host = host_view == "localhost" ? "127.0.0.1" : std::string(host_view);
    TcpAddress address;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        address.length = sizeof(sockaddr_in);
        return address;
    }
    // "[::1]" as well as "::1".
    std::string bare = host;
    if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') {
        bare = bare.substr(1, bare.size() - 2);
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    if (::inet_pton(AF_INET6, bare.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        address.length = sizeof(sockaddr_in6);
        return address;
    }
    return error(EINVAL, fmt::format("host {}: not an IP address or localhost", host));
}

namespace {

std::string describe(const TcpAddress& address) {
    char text[INET6_ADDRSTRLEN] = "?";
    if (address.storage.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address.storage);
        ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
        return fmt::format("{}:{}", text, ntohs(v4->sin_port));
    }
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    return fmt::format("[{}]:{}", text, ntohs(v6->sin6_port));
}

}  // namespace

Result<std::unique_ptr<TcpConnect>> TcpConnect::start(EventLoop& loop, const TcpAddress& address,
                                                      std::string label, Done done) {
    if (label.empty()) label = describe(address);
    std::unique_ptr<TcpConnect> attempt(new TcpConnect());
    attempt->label_ = std::move(label);
    attempt->done_ = std::move(done);
    attempt->socket_.reset(
        ::socket(address.storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!attempt->socket_) return sys_error("socket for " + attempt->label_);
    const auto* addr = reinterpret_cast<const sockaddr*>(&address.storage);
    // Even a connect that succeeds at once is reported through the loop (a connected socket
    // is writable), so `done` never runs inside start().
    if (::connect(attempt->socket_.get(), addr, address.length) != 0 && errno != EINPROGRESS) {
        return sys_error("connect " + attempt->label_);
    }
    TcpConnect* self = attempt.get();
    auto watch = loop.watch_writable(self->socket_.get(), [self] { self->on_writable(); });
    if (!watch) return std::unexpected(watch.error());
    self->watch_ = std::move(*watch);
    return attempt;
}

void TcpConnect::on_writable() {
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    // Done with the socket before `done` runs: it may destroy this object.
    watch_.reset();
    socket_.reset();
    Done done = std::move(done_);
    if (error == 0) {
        done({});
    } else {
        done(core::error(error, "connect " + label_));
    }
}

}  // namespace svinit::core
