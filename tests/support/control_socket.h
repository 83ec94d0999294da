#pragma once
// Raw clients of svinit's control socket, for tests that must speak to it as no svctl
// would: half a request, a flood, a connection held open, a hang-up at the wrong moment.

#include <string>
#include <string_view>

#include "support/process.h"

namespace svinit::test {

// A connected, blocking unix stream socket; REQUIREs that connect() works.
UniqueFd connect_to(const std::string& path);

// Sends as much of data as the peer takes: it may close the connection before it has read
// everything (that is what an oversized request gets).
void send_what_it_takes(int fd, std::string_view data);

struct Reply {
    std::string data;
    bool closed = false;  // end of file, or ECONNRESET (the server closed with our bytes unread)
    std::string how;
};

// Reads (a socket or a pipe) until the other end closes it or timeout passes.
Reply read_to_close(int fd, Millis timeout);

// Reads up to and including the first '\n' (returned without it); empty when none comes
// within timeout or the other end closes first.
std::string read_line_from(int fd, Millis timeout);

}  // namespace svinit::test
