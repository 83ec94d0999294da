#pragma once
// svinit's own sd_notify: datagrams to the service manager that started it (systemd with
// Type=notify), at the address its NOTIFY_SOCKET names. The opposite end of
// core/notify_socket.h, where svinit hears its services.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/unique_fd.h"
#include "core/unix_address.h"

namespace svinit::core {

// What the service manager put in svinit's environment for it alone.
struct NotifyEnv {
    std::string socket;  // NOTIFY_SOCKET; empty: nobody listens
    // WATCHDOG_USEC, when set (and WATCHDOG_PID, if set, names this process): ping WATCHDOG=1
    // at least this often.
    std::optional<std::chrono::microseconds> watchdog;
};

// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and removes them from the environment
// (sd_notify's unset_environment), so that no service or main command spawned later talks
// to svinit's parent, or pings its watchdog, in svinit's name. A second call finds nothing.
NotifyEnv take_notify_env();

class NotifySender {
public:
    // A datagram socket aimed at `address` (a path, or "@name": abstract).
    static Result<NotifySender> open(std::string_view address);

    // One message ("READY=1", "STATUS=3 up"), one datagram. Never blocks: a receiver that
    // is not keeping up (EAGAIN) or gone is an error value, and the message is lost.
    Result<void> send(std::string_view message);

    const std::string& address() const noexcept { return name_; }

private:
    UniqueFd fd_;
    UnixAddress address_;
    std::string name_;
};

}  // namespace svinit::core
