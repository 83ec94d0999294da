#pragma once
// The control socket: svctl's way in. A unix stream socket carrying the newline-delimited
// JSON of control/protocol.h, served from the event loop without ever blocking it.
//
// Who may connect: root, svinit's own user, or members of the control group (checked
// with SO_PEERCRED on every connection; others get permission_denied and are closed).
//
// Bounds (docs/protocol.md lists them for clients):
//  - connection slots (control/admission.h): kMaxConnections in all, kMaxConnectionsPerUid
//    per uid, the last kSlotsKeptForAdmins for root and svinit's user. A client that gets
//    no slot is accepted, answered busy and closed at once: nobody waits in the listen
//    queue. At most kAcceptBatch clients are accepted per loop turn;
//  - a request line over kMaxRequestBytes is answered too_large and the connection
//    closed; a line that does not decode is answered bad_request (or
//    unsupported_version) and the connection closed;
//  - requests on one connection are answered in order, one at a time: while a `wait` is
//    pending, or more than kOutputHighWater bytes of answers are unread, further input
//    is left unread, at most kMaxRequestBytes + 1 bytes of it buffered. A client that
//    sends more than that behind a pending wait is answered too_large (in the wait's
//    place) and closed: its input stays bounded and svinit keeps reading its socket;
//  - an answer over kMaxResponseBytes becomes a too_large error; a client that reads
//    nothing of its answers for kWriteStallTimeout is dropped;
//  - `logs` with follow holds the connection like a wait (input behind it is left
//    unread, as behind a wait), and sends every new line of the service as one more
//    response; a follower with more than kFollowMaxPending bytes unread is dropped;
//  - a client with no wait pending and no answer unread that completes no request for
//    kIdleTimeout is closed, so idle clients cannot hold every slot (bytes of an unfinished
//    line do not count as activity).
// A hang-up is always noticed: every open client has a readable watch (a hang-up reads
// as EOF), a writable watch (answers queued: the write fails), or, when neither can see
// it (it shut down its sending side and its wait is pending), a probe every
// kHangupProbeInterval. A client that hangs up mid-wait has its wait cancelled and its
// slot freed. The server never throws out of a loop callback.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "control/admission.h"
#include "control/listen_socket.h"
#include "control/peer_auth.h"
#include "control/protocol.h"
#include "core/error.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"
#include "services/supervisor_api.h"

namespace svinit::control {

inline constexpr const char* kDefaultSocketPath = "/run/svinit/control.sock";
inline constexpr int kListenBacklog = 128;
inline constexpr std::size_t kAcceptBatch = 16;
inline constexpr std::size_t kOutputHighWater = 256 * 1024;
inline constexpr std::chrono::seconds kWriteStallTimeout{30};
inline constexpr std::chrono::seconds kIdleTimeout{60};
inline constexpr std::chrono::seconds kHangupProbeInterval{1};
// A `logs -f` client with more than this unread is dropped: a follower that stops
// reading never holds more.
inline constexpr std::size_t kFollowMaxPending = 1024 * 1024;
// Refusals with busy are logged at most once per this, with a count.
inline constexpr std::chrono::seconds kBusyLogInterval{10};

struct ServerOptions {
    std::string path = kDefaultSocketPath;  // --control-socket
    std::optional<gid_t> group;             // --control-group: 0660 and this group may connect
    std::chrono::milliseconds write_stall_timeout = kWriteStallTimeout;  // shorter in tests
    std::chrono::milliseconds idle_timeout = kIdleTimeout;               // shorter in tests
};

class ControlServer {
public:
    ControlServer(core::EventLoop& loop, services::SupervisorApi& api, ServerOptions options);
    // Closes every connection (cancelling pending waits) and removes the socket file if
    // it is still the one start() created.
    ~ControlServer();
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Creates the socket (see listen_socket.h) and starts accepting. Call once.
    core::Result<void> start();

    const std::string& path() const noexcept { return options_.path; }
    std::size_t connection_count() const noexcept { return clients_.size(); }

private:
    struct Client;

    void on_acceptable();
    void accept_one(core::UniqueFd fd);
    void refuse_for_lack_of_fds();
    void log_busy(const PeerCredentials& peer, const std::string& why);
    void set_accepting(bool on);
    void retry_accepting_later();
    std::size_t connections_of(uid_t uid) const;
    void on_readable(std::uint64_t id);
    void on_writable(std::uint64_t id);
    void on_wait_done(std::uint64_t id);
    void start_follow(Client& client, const Request& request);
    void on_follow_line(std::uint64_t id, const services::LogLine& line);
    void on_stall_check(std::uint64_t id);
    void on_idle_check(std::uint64_t id);
    void on_hangup_probe(std::uint64_t id);
    void hang_up(Client& client);
    bool arm_timers(Client& client, bool want_write, bool want_probe);
    void process_input(Client& client);
    void handle_line(Client& client, const std::string& line);
    void reply(Client& client, const Response& response);
    void flush(Client& client);
    void settle(std::uint64_t id);
    void close_client(std::uint64_t id);
    Client* find(std::uint64_t id);

    core::EventLoop& loop_;
    services::SupervisorApi& api_;
    ServerOptions options_;
    AccessPolicy policy_;
    std::optional<ListenSocket> socket_;
    core::WatchHandle accept_watch_;
    core::TimerHandle accept_retry_timer_;
    // Kept open so that, out of fds, one can be freed to accept and refuse with "busy"
    // instead of leaving the listener readable forever.
    core::UniqueFd reserve_fd_;
    std::optional<core::TimePoint> busy_logged_at_;
    std::uint64_t busy_unlogged_ = 0;  // refusals with busy since the last log line
    std::unordered_map<std::uint64_t, std::unique_ptr<Client>> clients_;
    std::uint64_t next_client_id_ = 1;
};

}  // namespace svinit::control
