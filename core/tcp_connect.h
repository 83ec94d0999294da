#pragma once
// One TCP connection attempt through the loop, for readiness and health checks: a
// non-blocking connect whose end is seen as the socket becoming writable, so a slow or
// silent peer never holds the loop. The caller bounds it with its own timer; destroying
// the attempt closes the socket and cancels its watch.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"

namespace svinit::core {

// An address to connect to, from a host written as an IP address (v4 or v6) or
// "localhost" (127.0.0.1). Names that need a lookup are refused: resolving them could
// block PID 1 on DNS.
struct TcpAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
};
Result<TcpAddress> tcp_address(std::string_view host, std::uint16_t port);

class TcpConnect {
public:
    // The outcome: success once connected, else why not ("connect 127.0.0.1:80: Connection
    // refused").
    using Done = std::function<void(Result<void>)>;

    // Starts connecting. An error that comes at once (no socket, an address that cannot be
    // reached) is returned here and `done` never runs; otherwise `done` runs once, from the
    // loop.
    // Its watch captures it, so it stays where it was made.
    static Result<std::unique_ptr<TcpConnect>> start(EventLoop& loop, const TcpAddress& address,
                                                     std::string label, Done done);

    TcpConnect(const TcpConnect&) = delete;
    TcpConnect& operator=(const TcpConnect&) = delete;

private:
    TcpConnect() = default;
    void on_writable();

    UniqueFd socket_;
    std::string label_;  // "127.0.0.1:80"
    Done done_;
    WatchHandle watch_;  // last: gone before the rest its callback reaches
};

}  // namespace svinit::core
