#pragma once
// Private to the server's .cpp files: what ControlServer keeps per connection.

#include <cstdint>
#include <memory>
#include <optional>

#include "control/connection.h"
#include "control/peer_auth.h"
#include "control/server.h"
#include "control/wait_request.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"

namespace svinit::control {

struct ControlServer::Client {
    Client(std::uint64_t client_id, core::UniqueFd fd, PeerCredentials credentials)
        : id(client_id), conn(std::move(fd)), peer(credentials) {}

    std::uint64_t id;
    Connection conn;
    PeerCredentials peer;
    // After conn: destroyed first, so no watch outlives the socket it watches.
    core::WatchHandle read_watch;
    core::WatchHandle write_watch;
    core::TimerHandle stall_timer;
    std::uint64_t stall_mark = 0;  // bytes_written when the stall timer was armed
    core::TimerHandle idle_timer;
    core::TimerHandle hangup_probe;  // only while no watch would see a hang-up
    std::uint64_t requests = 0;      // complete request lines taken
    std::uint64_t idle_mark = 0;     // requests when the idle timer was armed
    std::unique_ptr<WaitRequest> wait;
    // A `logs` request with follow: every new line of the service, until the client goes.
    services::SupervisorApi::FollowHandle follow;
    bool eof = false;      // the peer will send nothing more
    bool hung_up = false;  // ... and will read nothing more either
    bool closing = false;  // close once the queued answers are written
    bool dead = false;     // close now
};

}  // namespace svinit::control
