#pragma once
// svctl's side of the control socket: connect, send one request line, read one response
// line, every step bounded in time and in size (control::kMaxResponseBytes).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "control/protocol.h"
#include "core/error.h"
#include "core/unique_fd.h"

namespace svinit::svctl {

// How long svinit may take to answer anything but a wait.
inline constexpr std::chrono::milliseconds kDefaultTimeout = std::chrono::seconds(30);
// A wait's answer may come this much later than its own timeout.
inline constexpr std::chrono::milliseconds kWaitSlack = std::chrono::seconds(5);

// When svinit answers busy the exchange is tried again after 50, 100 and 200 ms (within
// the timeout), then busy is the answer.
inline constexpr int kBusyRetries = 3;
inline constexpr std::chrono::milliseconds kBusyFirstPause{50};

// One connection, opened by the first exchange and reused for the next ones. Errors name
// the socket; their code is the errno (EACCES/EPERM: permission denied), or 0 when svinit
// answered nothing usable in time.
class ControlClient {
public:
    explicit ControlClient(std::string socket_path) : path_(std::move(socket_path)) {}

    // timeout nullopt: wait for the answer forever (`wait` without --timeout).
    core::Result<control::Response> exchange(const control::Request& request,
                                             std::optional<std::chrono::milliseconds> timeout);

    // The next response on the connection of the last exchange, waiting as long as it
    // takes (`logs -f` sends one per new line); nullopt when svinit closed the connection.
    core::Result<std::optional<control::Response>> next_response();

    const std::string& socket_path() const noexcept { return path_; }

private:
    using Deadline = std::optional<std::chrono::steady_clock::time_point>;

    core::Result<control::Response> exchange_once(const control::Request& request,
                                                  Deadline deadline,
                                                  std::optional<std::chrono::milliseconds> timeout);
    core::Result<void> connect(Deadline deadline);
    core::Result<void> send_all(std::string_view data, Deadline deadline);
    core::Result<std::string> receive_line(Deadline deadline,
                                           std::optional<std::chrono::milliseconds> timeout);
    core::Result<void> wait_ready(short events, Deadline deadline,
                                  std::optional<std::chrono::milliseconds> timeout);

    std::string path_;
    core::UniqueFd fd_;
    std::string buffer_;  // bytes received after the last line
    bool closed_ = false;  // svinit closed the connection (seen by receive_line)
};

// The line at the front of buffer (without '\n'), removed from it; nullopt when buffer
// holds no complete line yet.
std::optional<std::string> take_line(std::string& buffer);

}  // namespace svinit::svctl
