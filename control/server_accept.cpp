// The listening side of ControlServer: the socket, accepting, and the checks every new
// connection passes before its first request is read: who it is, and whether it gets a
// slot. The connection side is in server.cpp.

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
namespace {

// Answers one line and closes. A fresh connection's socket buffer always has room for
// one short line, so nothing is queued; a client that sent a request before it reads
// the answer finds it there, then the end (or ECONNRESET: its request went unread).
void refuse(core::UniqueFd fd, ErrorCode code, const std::string& message) {
    const std::string line = encode_response(error_response(code, message)) + "\n";
    (void)::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

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

// Do not spin on a listener that stays readable: stop watching it for a second.
void ControlServer::retry_accepting_later() {
    set_accepting(false);
    auto t = loop_.add_timer(std::chrono::seconds(1), false, [this] {
        accept_retry_timer_.release();
        set_accepting(true);
    });
    if (t) accept_retry_timer_ = std::move(*t);
}

// Accepts every time, full or not, so a client is answered (served or busy) instead of
// waiting in the listen queue; at most kAcceptBatch per turn, so a crowd of connections
// cannot hold the loop: the watch is level-style and calls again next turn.
void ControlServer::on_acceptable() {
    for (std::size_t n = 0; n < kAcceptBatch && socket_; ++n) {
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
        spdlog::error("control: accept on {}: {}", options_.path, std::strerror(err));
        retry_accepting_later();
        return;
    }
}

// Out of fds: free the reserve, take the client off the queue, tell it "busy", and
// take the reserve back. The listener would otherwise stay readable and spin the loop.
void ControlServer::refuse_for_lack_of_fds() {
    spdlog::warn("control: out of file descriptors; refusing a client with busy");
    if (reserve_fd_) {
        reserve_fd_.reset();
        core::UniqueFd fd(
            ::accept4(socket_->fd.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (fd)
            refuse(std::move(fd), ErrorCode::Busy, "svinit is out of file descriptors; try again");
        reserve_fd_ = core::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (reserve_fd_) return;
    }
    retry_accepting_later();
}

std::size_t ControlServer::connections_of(uid_t uid) const {
    std::size_t n = 0;
    for (const auto& [id, client] : clients_) {
        if (client->peer.uid == uid) ++n;
    }
    return n;
}

void ControlServer::accept_one(core::UniqueFd fd) {
    try {
        const auto cred = peer_credentials(fd.get());
        if (!cred || !peer_allowed(fd.get(), *cred, policy_)) {
            const std::string who = cred ? describe(*cred) : cred.error().message();
            spdlog::warn(
                "control: refused a client ({}): not root, svinit's user or in the "
                "control group",
                who);
            refuse(std::move(fd), ErrorCode::PermissionDenied,
                   "permission denied: only root, svinit's user or the control group may use " +
                       options_.path);
            return;
        }
        const auto why = refuse_slot(SlotRequest{cred->uid, peer_is_admin(*cred, policy_),
                                                 clients_.size(), connections_of(cred->uid)});
        if (why) {
            log_busy(*cred, *why);
            refuse(std::move(fd), ErrorCode::Busy, *why);
            return;
        }
        const std::uint64_t id = next_client_id_++;
        clients_.emplace(id, std::make_unique<Client>(id, std::move(fd), *cred));
        settle(id);
    } catch (const std::exception& e) {
        spdlog::error("control: new client: {}", e.what());  // fd closes on the way out
    }
}

// A client that reconnects in a loop must not flood the log: one line per
// kBusyLogInterval, counting the refusals it stands for.
void ControlServer::log_busy(const PeerCredentials& peer, const std::string& why) {
    ++busy_unlogged_;
    const core::TimePoint now = loop_.now();
    if (busy_logged_at_ && now - *busy_logged_at_ < kBusyLogInterval) return;
    if (busy_unlogged_ == 1) {
        spdlog::warn("control: refused a client ({}) with busy: {}", describe(peer), why);
    } else {
        spdlog::warn("control: refused {} clients with busy, the last ({}): {}", busy_unlogged_,
                     describe(peer), why);
    }
    busy_logged_at_ = now;
    busy_unlogged_ = 0;
}

}  // namespace svinit::control
