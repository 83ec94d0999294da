#include "core/notify_socket.h"

#include <sys/random.h>
#include <sys/socket.h>

#include <array>
#include <cstring>

#include <fmt/format.h>

#include "core/unix_address.h"

namespace svinit::core {
namespace {

const std::string& token() {
    static const std::string value = [] {
        std::uint64_t random = 0;
        if (::getrandom(&random, sizeof(random), GRND_NONBLOCK) != sizeof(random)) {
            random = static_cast<std::uint64_t>(::getpid()) ^
                     static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&random));
        }
        return fmt::format("{:016x}", random);
    }();
    return value;
}

}  // namespace

Result<NotifySocket> NotifySocket::open(std::string_view name) {
    NotifySocket out;
    const std::string address = fmt::format("@svinit-notify/{}/{}", token(), name);
    auto addr = unix_address(address);
    if (!addr) return std::unexpected(addr.error());
    out.fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!out.fd_) return sys_error("socket (notify)");
    const int on = 1;
    if (::setsockopt(out.fd_.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
        return sys_error("setsockopt SO_PASSCRED (notify)");
    }
    if (::bind(out.fd_.get(), addr->get(), addr->length) != 0) return sys_error("bind " + address);
    out.address_ = address;
    return out;
}

Result<std::optional<NotifySocket::Message>> NotifySocket::receive() {
    std::array<char, kMaxNotifyMessage + 1> buffer;
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(ucred))> control;
    for (;;) {
        iovec iov{buffer.data(), buffer.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.data();
        msg.msg_controllen = control.size();
        const ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
        if (n < 0) return sys_error("recvmsg (notify)");
        // Any fds passed along (sd_notify's FDSTORE) are closed: svinit keeps none.
        Message message;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
                ucred cred{};
                std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                message.pid = cred.pid;
            } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                const auto count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (std::size_t i = 0; i < count; ++i) {
                    int passed = -1;
                    std::memcpy(&passed, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    UniqueFd closing(passed);
                }
            }
        }
        if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
            static_cast<std::size_t>(n) > kMaxNotifyMessage) {
            continue;  // too long: dropped whole
        }
        message.text.assign(buffer.data(), static_cast<std::size_t>(n));
        return message;
    }
}

}  // namespace svinit::core
