#pragma once
// The control socket file: created with its final mode and group out of everyone's reach,
// never replacing anything but a stale socket, only in a directory no one else can write,
// and removed only while it is still the one we created.

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"

namespace svinit::control {

struct ListenSocket {
    core::UniqueFd fd;  // listening, SOCK_NONBLOCK | SOCK_CLOEXEC
    dev_t dev = 0;      // of the socket file, to recognise it at removal
    ino_t ino = 0;
};

// Creates missing parent directories (0755) and refuses a parent directory that anyone
// but root or svinit's user owns, that its group or others may write, or that is sticky
// (anyone who can write there could swap the socket for a symlink). Binds and listens in
// a 0700 directory made inside it, gives the socket mode 0600 (or 0660 and group `group`
// when one is given) there, removes a stale socket at `path` (a socket file no one listens
// on; anything else there is an error) and renames the socket into place. No path
// outside the private directory is followed after bind().
core::Result<ListenSocket> open_listen_socket(const std::string& path, std::optional<gid_t> group,
                                              int backlog);

// Unlinks `path` if it is still the file `socket` was bound to.
void remove_socket_file(const std::string& path, const ListenSocket& socket) noexcept;

}  // namespace svinit::control
