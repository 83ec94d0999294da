#pragma once
// An AF_UNIX address as sd_notify spells one in NOTIFY_SOCKET: a path, or "@name" for the
// abstract namespace (no file; the name lives as long as the socket bound to it).

#include <sys/socket.h>
#include <sys/un.h>

#include <string_view>

#include "core/error.h"

namespace svinit::core {

struct UnixAddress {
    sockaddr_un addr{};
    socklen_t length = 0;  // what bind(), connect() and sendto() are given

    const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&addr); }
};

// ENAMETOOLONG when it does not fit sun_path, EINVAL when empty or holding a NUL byte.
Result<UnixAddress> unix_address(std::string_view name);

}  // namespace svinit::core
