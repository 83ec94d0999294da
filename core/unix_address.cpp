#include "core/unix_address.h"

#include <cstddef>
#include <cstring>
#include <string>

namespace svinit::core {

Result<UnixAddress> unix_address(std::string_view name) {
    const std::string quoted = "socket address '" + std::string(name) + "'";
    if (name.empty() || name == "@") return error(EINVAL, quoted + ": empty");
    if (name.find('\0') != std::string_view::npos) return error(EINVAL, quoted + ": a NUL byte");
    UnixAddress out;
    out.addr.sun_family = AF_UNIX;
    const bool abstract = name.front() == '@';
    // A path needs its terminating NUL in sun_path; an abstract name is counted by length.
    const std::size_t room = sizeof(out.addr.sun_path) - (abstract ? 0 : 1);
    if (name.size() > room) {
        return error(ENAMETOOLONG, quoted + ": longer than " + std::to_string(room) + " bytes");
    }
    std::memcpy(out.addr.sun_path, name.data(), name.size());
    if (abstract) out.addr.sun_path[0] = '\0';
    out.length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
    return out;
}

}  // namespace svinit::core
