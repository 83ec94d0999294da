#include "svctl/client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <thread>

namespace svinit::svctl {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Milliseconds left for poll(): -1 without a deadline, rounded up so we never spin on 0.
int poll_timeout(std::optional<steady_clock::time_point> deadline) {
    if (!deadline) return -1;
    auto left = *deadline - steady_clock::now();
    if (left <= steady_clock::duration::zero()) return 0;
    auto ms = std::chrono::ceil<milliseconds>(left).count();
    return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

std::string describe_timeout(std::optional<milliseconds> timeout) {
    if (!timeout) return "";
    auto ms = timeout->count();
    if (ms % 1000 == 0) return fmt::format(" within {}s", ms / 1000);
    return fmt::format(" within {}ms", ms);
}

}  // namespace

std::optional<std::string> take_line(std::string& buffer) {
    auto newline = buffer.find('\n');
    if (newline == std::string::npos) return std::nullopt;
    std::string line = buffer.substr(0, newline);
    buffer.erase(0, newline + 1);
    return line;
}

core::Result<control::Response> ControlClient::exchange(const control::Request& request,
                                                        std::optional<milliseconds> timeout) {
    Deadline deadline;
    if (timeout) deadline = steady_clock::now() + *timeout;
    milliseconds pause = kBusyFirstPause;
    for (int retry = 0;; ++retry) {
        auto result = exchange_once(request, deadline, timeout);
        // svinit answers busy as a client connects, before it reads a request, so asking
        // again cannot do anything twice. A few short tries ride out a burst of clients.
        if (!result || result->error != control::ErrorCode::Busy || retry == kBusyRetries) {
            return result;
        }
        fd_.reset();
        buffer_.clear();
        if (deadline && steady_clock::now() + pause >= *deadline) return result;
        std::this_thread::sleep_for(pause);
        pause *= 2;
    }
}

core::Result<control::Response> ControlClient::exchange_once(
    const control::Request& request, Deadline deadline, std::optional<milliseconds> timeout) {
    auto result = [&]() -> core::Result<control::Response> {
        if (!fd_) {
            if (auto ok = connect(deadline); !ok) return std::unexpected(ok.error());
        }
        std::string line = control::encode_request(request);
        line += '\n';
        auto sent = send_all(line, deadline);
        // svinit may answer and close before reading the request (a refused peer); the
        // answer is still there to read, and says more than the failed send.
        if (!sent && sent.error().code != EPIPE && sent.error().code != ECONNRESET) {
            return std::unexpected(sent.error());
        }
        auto answer = receive_line(deadline, timeout);
        if (!answer) return std::unexpected(sent ? answer.error() : sent.error());
        auto response = control::decode_response(*answer);
        if (!response) {
            return core::error(0, fmt::format("bad answer from svinit at {}: {}", path_,
                                              response.error().message()));
        }
        return response;
    }();
    if (!result) {
        // The connection is in an unknown state now: the next exchange starts afresh.
        fd_.reset();
        buffer_.clear();
    }
    return result;
}

core::Result<std::optional<control::Response>> ControlClient::next_response() {
    if (!fd_) return std::optional<control::Response>();
    auto line = receive_line(std::nullopt, std::nullopt);
    if (!line) {
        if (closed_ && buffer_.empty()) return std::optional<control::Response>();
        return std::unexpected(line.error());
    }
    auto response = control::decode_response(*line);
    if (!response) {
        return core::error(0, fmt::format("bad answer from svinit at {}: {}", path_,
                                          response.error().message()));
    }
    return std::optional(std::move(*response));
}

core::Result<void> ControlClient::connect(Deadline deadline) {
    std::string context = fmt::format("cannot reach svinit at {}", path_);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(address.sun_path)) return core::error(ENAMETOOLONG, context);
    std::memcpy(address.sun_path, path_.data(), path_.size());

    core::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return core::sys_error(context);
    // A blocking connect waits while svinit's listen backlog is full; SO_SNDTIMEO bounds
    // that wait (EAGAIN when it runs out).
    if (deadline) {
        int ms = std::max(poll_timeout(deadline), 1);
        timeval tv{ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)};
        if (::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
            return core::sys_error(context);
        }
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        return core::sys_error(context);
    }
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
        return core::sys_error(context);
    }
    fd_ = std::move(fd);
    return {};
}

core::Result<void> ControlClient::wait_ready(short events, Deadline deadline,
                                             std::optional<milliseconds> timeout) {
    for (;;) {
        pollfd pfd{fd_.get(), events, 0};
        int n = ::poll(&pfd, 1, poll_timeout(deadline));
        if (n > 0) return {};
        if (n == 0) {
            return core::error(
                0, fmt::format("no answer from svinit at {}{}", path_, describe_timeout(timeout)));
        }
        if (errno != EINTR) return core::sys_error(fmt::format("poll svinit at {}", path_));
    }
}

core::Result<void> ControlClient::send_all(std::string_view data, Deadline deadline) {
    while (!data.empty()) {
        ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN)
            return core::sys_error(fmt::format("cannot send to svinit at {}", path_));
        if (auto ok = wait_ready(POLLOUT, deadline, std::nullopt); !ok) {
            return core::error(0, fmt::format("svinit at {} takes no request", path_));
        }
    }
    return {};
}

core::Result<std::string> ControlClient::receive_line(Deadline deadline,
                                                      std::optional<milliseconds> timeout) {
    std::array<char, 64 * 1024> chunk{};
    for (;;) {
        if (auto line = take_line(buffer_)) return std::move(*line);
        if (buffer_.size() > control::kMaxResponseBytes) {
            return core::error(0, fmt::format("answer from svinit at {} exceeds {} MiB", path_,
                                              control::kMaxResponseBytes / (1024 * 1024)));
        }
        ssize_t n = ::recv(fd_.get(), chunk.data(), chunk.size(), 0);
        if (n > 0) {
            buffer_.append(chunk.data(), static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0) {
            closed_ = true;
            return core::error(0, fmt::format("svinit at {} closed the connection without an "
                                              "answer",
                                              path_));
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN)
            return core::sys_error(fmt::format("cannot read from svinit at {}", path_));
        if (auto ok = wait_ready(POLLIN, deadline, timeout); !ok)
            return std::unexpected(ok.error());
    }
}

}  // namespace svinit::svctl
