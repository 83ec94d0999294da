#pragma once
// The control socket file: created with its final mode from the start, never replacing
// anything but a stale socket, and removed only while it is still the one we created.

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

// Creates missing parent directories (0755), removes a stale socket (a socket file no
// one listens on; anything else there is an error), binds and listens. The file is
// 0600, or 0660 with group `group` when one is given.
core::Result<ListenSocket> open_listen_socket(const std::string& path, std::optional<gid_t> group,
                                              int backlog);

// Unlinks `path` if it is still the file `socket` was bound to.
void remove_socket_file(const std::string& path, const ListenSocket& socket) noexcept;

}  // namespace svinit::control
