// The listening side of ControlServer: the socket, accepting, and the peer check that
// every new connection passes before its first request is read.

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include "control/request_handler.h"
#include "control/server.h"
#include "control/server_client.h"

namespace svinit::control {

core::Result<void> ControlServer::start() {
    if (socket_) return core::error(EALREADY, "control socket " + options_.path + ": already open");
    auto s = open_listen_socket(options_.path, options_.group, kListenBacklog);
    if (!s) return std::unexpected(s.error());
    socket_ = std::move(*s);
    policy_ = AccessPolicy{::geteuid(), options_.group};
    reserve_fd_ = core::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    set_accepting(true);
    if (!accept_watch_) {
        remove_socket_file(options_.path, *socket_);
        socket_.reset();
        return core::error(EIO, "control socket " + options_.path + ": cannot watch it");
    }
    spdlog::info("control: listening on {} (mode {})", options_.path,
                 options_.group ? "0660, group " + std::to_string(*options_.group) : "0600");
    return {};
}

void ControlServer::set_accepting(bool on) {
    if (on && !accept_watch_ && socket_) {
        auto w = loop_.watch_readable(socket_->fd.get(), [this] { on_acceptable(); });
        if (w) {
            accept_watch_ = std::move(*w);
        } else {
            spdlog::error("control: {}", w.error().message());
        }
    } else if (!on && accept_watch_) {
        accept_watch_.reset();
    }
}

void ControlServer::on_acceptable() {
    while (socket_) {
        // Full: stop accepting; newcomers wait in the listen queue until a client leaves.
        if (clients_.size() >= kMaxConnections) {
            set_accepting(false);
            return;
        }
        const int fd = ::accept4(socket_->fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            accept_one(core::UniqueFd(fd));
            continue;
        }
        const int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (err == EINTR || err == ECONNABORTED) continue;  // ECONNABORTED: it gave up queued
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
            refuse_for_lack_of_fds();
            return;
        }
        // Unexpected: do not spin on a listener that stays readable; retry in a second.
        spdlog::error("control: accept on {}: {}", options_.path, std::strerror(err));
        set_accepting(false);
        auto t = loop_.add_timer(std::chrono::seconds(1), false, [this] {
            accept_retry_timer_.release();
            set_accepting(true);
        });
        if (t) accept_retry_timer_ = std::move(*t);
        return;
    }
}

// Out of fds: free the reserve, take the client off the queue, tell it "busy", and
// take the reserve back. The listener would otherwise stay readable and spin the loop.
void ControlServer::refuse_for_lack_of_fds() {
    spdlog::warn("control: out of file descriptors; refusing a client with busy");
    if (reserve_fd_) {
        reserve_fd_.reset();
        const core::UniqueFd fd(
            ::accept4(socket_->fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (fd) {
            const std::string line = encode_response(error_response(ErrorCode::Busy,
                                                                    "svinit is out of file "
                                                                    "descriptors; try again")) +
                                     "\n";
            (void)::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        reserve_fd_ = core::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (reserve_fd_) return;
    }
    set_accepting(false);
    auto t = loop_.add_timer(std::chrono::seconds(1), false, [this] {
        accept_retry_timer_.release();
        set_accepting(true);
    });
    if (t) accept_retry_timer_ = std::move(*t);
}

void ControlServer::accept_one(core::UniqueFd fd) {
    const std::uint64_t id = next_client_id_++;
    auto client = std::make_unique<Client>(id, std::move(fd));
    Client& c = *client;
    clients_.emplace(id, std::move(client));
    try {
        const auto cred = peer_credentials(c.conn.fd());
        if (cred) c.peer = *cred;
        if (!cred || !peer_allowed(c.conn.fd(), c.peer, policy_)) {
            const std::string who = cred ? describe(c.peer) : cred.error().message();
            spdlog::warn(
                "control: refused a client ({}): not root, svinit's user or in the "
                "control group",
                who);
            reply(c, error_response(ErrorCode::PermissionDenied,
                                    "permission denied: only root, svinit's user or the control "
                                    "group may use " +
                                        options_.path));
            c.closing = true;
        }
    } catch (const std::exception& e) {
        spdlog::error("control: new client: {}", e.what());
        c.dead = true;
    }
    settle(id);
}

}  // namespace svinit::control
