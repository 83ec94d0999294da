#include "core/notify_sender.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "core/parse_number.h"

namespace svinit::core {
namespace {

// A decimal of the whole value, or nullopt (also when it is not set).
template <typename T>
std::optional<T> env_number(const char* name) {
    const char* text = std::getenv(name);
    if (text == nullptr) return std::nullopt;
    return parse_number<T>(text);
}

std::optional<std::chrono::microseconds> watchdog_from_env() {
    const auto usec = env_number<std::uint64_t>("WATCHDOG_USEC");
    if (!usec || *usec == 0) return std::nullopt;
    // WATCHDOG_PID names the process systemd watches; another's (a wrapper's) is not ours.
    if (const char* pid_text = std::getenv("WATCHDOG_PID"); pid_text != nullptr) {
        const auto pid = parse_number<pid_t>(pid_text);
        if (!pid || *pid != ::getpid()) return std::nullopt;
    }
    return std::chrono::microseconds(*usec);
}

}  // namespace

NotifyEnv take_notify_env() {
    NotifyEnv env;
    if (const char* socket = std::getenv("NOTIFY_SOCKET"); socket != nullptr) env.socket = socket;
    env.watchdog = watchdog_from_env();
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    return env;
}

Result<NotifySender> NotifySender::open(std::string_view address) {
    NotifySender out;
    auto addr = unix_address(address);
    if (!addr) return std::unexpected(addr.error());
    out.address_ = *addr;
    out.name_ = std::string(address);
    out.fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!out.fd_) return sys_error("socket (NOTIFY_SOCKET " + out.name_ + ")");
    return out;
}

Result<void> NotifySender::send(std::string_view message) {
    for (;;) {
        // Unconnected: the receiver may be restarted (systemd re-executing) and bound anew.
        const ssize_t n = ::sendto(fd_.get(), message.data(), message.size(),
                                   MSG_DONTWAIT | MSG_NOSIGNAL, address_.get(), address_.length);
        if (n >= 0) return {};
        if (errno == EINTR) continue;
        return sys_error("sd_notify to " + name_);
    }
}

}  // namespace svinit::core
