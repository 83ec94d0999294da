// The connection side of ControlServer: reading request lines, answering them in order,
// writing without blocking, and closing. The listening side is in server_accept.cpp.

#include "control/server.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <utility>

#include "control/request_handler.h"
#include "control/server_client.h"

namespace svinit::control {
namespace {

// One maximal request line and its '\n'.
constexpr std::size_t kInputLimit = kMaxRequestBytes + 1;

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// After read() saw EOF: did the peer close the socket (POLLHUP), or only shut down its
// sending side and still wait for answers?
bool peer_hung_up(int fd) {
    pollfd p{fd, POLLOUT, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)) != 0;
}

}  // namespace

ControlServer::ControlServer(core::EventLoop& loop, services::SupervisorApi& api,
                             ServerOptions options)
    : loop_(loop), api_(api), options_(std::move(options)) {}

ControlServer::~ControlServer() {
    set_accepting(false);
    accept_retry_timer_.reset();
    // The socket file goes with the listening socket (a file someone replaced stays).
    if (socket_) remove_socket_file(options_.path, *socket_);
    socket_.reset();  // nothing may resume accepting while clients close below
    while (!clients_.empty()) close_client(clients_.begin()->first);
}

ControlServer::Client* ControlServer::find(std::uint64_t id) {
    const auto it = clients_.find(id);
    return it == clients_.end() ? nullptr : it->second.get();
}

void ControlServer::on_readable(std::uint64_t id) {
    Client* c = find(id);
    if (c == nullptr) return;
    try {
        const Connection::ReadStatus status = c->conn.read_available(kInputLimit);
        // A peer that closes with answers unread makes the next read fail ECONNRESET
        // (once, after the data it sent) instead of returning EOF: a hang-up as well.
        const bool reset = status == Connection::ReadStatus::Error && errno == ECONNRESET;
        if (status == Connection::ReadStatus::Error && !reset) {
            spdlog::debug("control: client {}: read: {}", describe(c->peer), std::strerror(errno));
            c->dead = true;
        } else if (status == Connection::ReadStatus::Eof || reset) {
            // What was sent before EOF is still carried out and answered (a client may
            // shut down its sending side and read on). A client gone for good gets no
            // answers, and no waits: a pending one is cancelled, and the requests behind
            // it carried out.
            c->eof = true;
            if (reset || peer_hung_up(c->conn.fd())) hang_up(*c);
        } else if (status == Connection::ReadStatus::Full && (c->wait || c->follow)) {
            // More than one request's worth sent behind a pending wait: refused, so its
            // input stays bounded and its socket stays watched (a hang-up behind it shows).
            spdlog::info("control: client {}: over {} bytes sent behind a pending wait; closing",
                         describe(c->peer), kInputLimit);
            c->wait.reset();
            c->follow.reset();
            reply(*c, error_response(ErrorCode::TooLarge,
                                     "more than " + std::to_string(kInputLimit) +
                                         " bytes of requests sent behind a pending wait"));
            c->closing = true;
        }
        process_input(*c);
    } catch (const std::exception& e) {
        spdlog::error("control: client {}: {}", describe(c->peer), e.what());
        c->dead = true;
    }
    settle(id);
}

void ControlServer::on_writable(std::uint64_t id) {
    Client* c = find(id);
    if (c == nullptr) return;
    try {
        flush(*c);
        process_input(*c);  // room again: requests held back by kOutputHighWater
    } catch (const std::exception& e) {
        spdlog::error("control: client {}: {}", describe(c->peer), e.what());
        c->dead = true;
    }
    settle(id);
}

void ControlServer::on_wait_done(std::uint64_t id) {
    Client* c = find(id);
    if (c == nullptr || !c->wait) return;
    try {
        std::unique_ptr<WaitRequest> wait = std::move(c->wait);
        const Response response = wait->take_response();
        wait.reset();
        reply(*c, response);
        process_input(*c);
    } catch (const std::exception& e) {
        spdlog::error("control: client {}: {}", describe(c->peer), e.what());
        c->dead = true;
    }
    settle(id);
}

// The last lines first, as a plain `logs` answers; then one response per new line.
void ControlServer::start_follow(Client& c, const Request& request) {
    const Response first = handle_request(api_, request);
    reply(c, first);
    if (!first.ok() || c.hung_up) return;
    const auto name = api_.resolve(request.services.front());
    if (!name) return;
    const std::uint64_t id = c.id;
    auto follow = api_.follow(*name, [this, id](const services::LogLine& line) {
        on_follow_line(id, line);
    });
    if (follow) c.follow = std::move(*follow);
}

// From inside the supervisor: queue, write what the socket takes, and drop a client that
// has stopped reading; closing it (settle) cancels its follow, which the supervisor allows.
void ControlServer::on_follow_line(std::uint64_t id, const services::LogLine& line) {
    Client* c = find(id);
    if (c == nullptr || !c->follow || c->hung_up) return;
    try {
        Response response;
        response.lines.push_back(line);
        c->conn.queue_line(encode_response(response));
        flush(*c);
        if (c->conn.pending_output() > kFollowMaxPending) {
            spdlog::info("control: client {} following logs left over {} bytes unread; dropping it",
                         describe(c->peer), kFollowMaxPending);
            c->dead = true;
        }
    } catch (const std::exception& e) {
        spdlog::error("control: client {}: {}", describe(c->peer), e.what());
        c->dead = true;
    }
    settle(id);
}

void ControlServer::on_stall_check(std::uint64_t id) {
    Client* c = find(id);
    if (c == nullptr) return;
    c->stall_timer.reset();
    if (c->conn.pending_output() > 0 && c->conn.bytes_written() == c->stall_mark) {
        spdlog::warn("control: client {} read none of its answers for {} ms; dropping it",
                     describe(c->peer), options_.write_stall_timeout.count());
        c->dead = true;
    }
    settle(id);  // re-arms the timer while output is still pending
}

void ControlServer::on_idle_check(std::uint64_t id) {
    Client* c = find(id);
    if (c == nullptr) return;
    c->idle_timer.reset();
    if (!c->wait && !c->follow && c->conn.pending_output() == 0 &&
        c->requests == c->idle_mark) {
        spdlog::debug("control: client {} idle for {} ms; closing", describe(c->peer),
                      options_.idle_timeout.count());
        c->dead = true;
    }
    settle(id);  // re-arms the timer while it stays idle
}

// The client shut down its sending side and has a wait pending: no watch would see it
// close its end, so look.
void ControlServer::on_hangup_probe(std::uint64_t id) {
    Client* c = find(id);
    if (c == nullptr) return;
    c->hangup_probe.reset();
    try {
        if (peer_hung_up(c->conn.fd())) {
            spdlog::debug("control: client {} hung up during its wait", describe(c->peer));
            hang_up(*c);
            process_input(*c);
        }
    } catch (const std::exception& e) {
        spdlog::error("control: client {}: {}", describe(c->peer), e.what());
        c->dead = true;
    }
    settle(id);  // re-arms the probe while it is still needed
}

// The peer is gone for good: no one reads answers, and no one waits.
void ControlServer::hang_up(Client& c) {
    c.eof = true;
    c.hung_up = true;
    c.conn.discard_output();
    c.wait.reset();  // never inside a supervisor callback: waits answer from a timer
    c.follow.reset();
}

// Takes complete lines in order, one request at a time, while nothing holds them back.
void ControlServer::process_input(Client& c) {
    const auto too_large = [&] {
        spdlog::info("control: client {}: request over {} bytes; closing", describe(c.peer),
                     kMaxRequestBytes);
        reply(c,
              error_response(ErrorCode::TooLarge, "request line longer than " +
                                                      std::to_string(kMaxRequestBytes) + " bytes"));
        c.closing = true;
    };
    while (!c.dead && !c.closing && !c.wait && !c.follow &&
           c.conn.pending_output() <= kOutputHighWater) {
        std::optional<std::string> line = c.conn.next_line();
        // An unfinished line already over the limit is refused without waiting for its end.
        if (!line && c.conn.input_size() > kMaxRequestBytes) return too_large();
        if (!line && c.eof && c.conn.input_size() > 0) line = c.conn.take_rest();  // unterminated
        if (!line) {
            if (c.eof) c.closing = true;  // everything sent has been answered
            return;
        }
        if (line->size() > kMaxRequestBytes) return too_large();
        handle_line(c, *line);
    }
}

void ControlServer::handle_line(Client& c, const std::string& line) {
    if (blank(line)) return;
    ++c.requests;
    auto request = decode_request(line);
    if (!request) {
        spdlog::info("control: client {}: {}; closing", describe(c.peer), request.error().context);
        reply(c, error_response(decode_error_code(request.error()), request.error().context));
        c.closing = true;
        return;
    }
    try {
        if (request->kind == RequestKind::Logs && request->follow) {
            start_follow(c, *request);
            return;
        }
        if (request->kind != RequestKind::Wait) {
            reply(c, handle_request(api_, *request));
            return;
        }
        if (c.hung_up) return;  // no one to tell when it is reached
        const std::uint64_t id = c.id;
        c.wait =
            std::make_unique<WaitRequest>(loop_, api_, *request, [this, id] { on_wait_done(id); });
        if (c.wait->done()) {
            const Response response = c.wait->take_response();
            c.wait.reset();
            reply(c, response);
        }
    } catch (const std::exception& e) {
        c.wait.reset();
        spdlog::error("control: client {}: {}", describe(c.peer), e.what());
        reply(c, error_response(ErrorCode::Failed, std::string("internal error: ") + e.what()));
    }
}

void ControlServer::reply(Client& c, const Response& response) {
    if (c.hung_up) return;  // its requests are still carried out; no one reads the answers
    std::string line = encode_response(response);
    if (line.size() > kMaxResponseBytes) {
        line = encode_response(error_response(
            ErrorCode::TooLarge,
            "the answer would be " + std::to_string(line.size()) + " bytes, over the limit of " +
                std::to_string(kMaxResponseBytes) + "; ask for fewer services"));
    }
    c.conn.queue_line(line);
    flush(c);
}

// A peer that closed its end while answers were on their way has hung up: like one seen
// at EOF, it gets no more answers, but the requests it sent are still carried out.
void ControlServer::flush(Client& c) {
    if (c.conn.flush() != Connection::FlushStatus::Error) return;
    if (errno != EPIPE && errno != ECONNRESET) {
        spdlog::debug("control: client {}: write: {}", describe(c.peer), std::strerror(errno));
        c.dead = true;
        return;
    }
    hang_up(c);
}

// Called last by every entry point: closes the client, or watches what it now needs.
void ControlServer::settle(std::uint64_t id) {
    Client* c = find(id);
    if (c == nullptr) return;
    const std::size_t pending = c->conn.pending_output();
    if (c->closing && pending == 0) c->dead = true;
    if (c->dead) {
        close_client(id);
        return;
    }
    // Input is read while a request may be taken, and while a wait is pending even when
    // the buffer is full: that is how a hang-up, or a flood behind the wait, shows.
    const bool want_read = !c->closing && !c->eof && pending <= kOutputHighWater &&
                           (c->conn.input_size() < kInputLimit || c->wait || c->follow);
    const bool want_write = pending > 0;
    const int fd = c->conn.fd();
    bool failed = false;
    if (want_read && !c->read_watch) {
        auto w = loop_.watch_readable(fd, [this, id] { on_readable(id); });
        if (w) c->read_watch = std::move(*w);
        failed = failed || !w;
    } else if (!want_read && c->read_watch) {
        c->read_watch.reset();
    }
    if (want_write && !c->write_watch) {
        auto w = loop_.watch_writable(fd, [this, id] { on_writable(id); });
        if (w) c->write_watch = std::move(*w);
        failed = failed || !w;
    } else if (!want_write && c->write_watch) {
        c->write_watch.reset();
    }
    // Neither watch sees a hang-up only after EOF with a wait pending (without one, the
    // client is closing); the probe covers that, so no open client goes unwatched.
    failed = !arm_timers(*c, want_write, !want_read && !want_write) || failed;
    if (failed) {
        spdlog::error("control: client {}: cannot watch its socket or arm its timers; closing",
                      describe(c->peer));
        close_client(id);
    }
}

// The write-stall timer while answers wait to be read; the idle timer while nothing does
// (no answer, no wait); the hang-up probe while no watch would see a hang-up. Each exists
// only while its condition holds. False when one is needed and cannot be armed: a client
// nothing bounds is closed rather than kept.
bool ControlServer::arm_timers(Client& c, bool want_write, bool want_probe) {
    const std::uint64_t id = c.id;
    const auto keep = [this](core::TimerHandle& timer, bool wanted, core::Duration after,
                             core::Callback cb) {
        if (!wanted) {
            timer.reset();
            return true;
        }
        if (timer) return true;
        auto t = loop_.add_timer(after, false, std::move(cb));
        if (t) timer = std::move(*t);
        return t.has_value();
    };
    if (want_write && !c.stall_timer) c.stall_mark = c.conn.bytes_written();
    const bool idle = !want_write && !c.wait && !c.follow && !c.closing;
    if (idle && !c.idle_timer) c.idle_mark = c.requests;
    const bool stall_ok = keep(c.stall_timer, want_write, options_.write_stall_timeout,
                               [this, id] { on_stall_check(id); });
    const bool idle_ok =
        keep(c.idle_timer, idle, options_.idle_timeout, [this, id] { on_idle_check(id); });
    const bool probe_ok =
        keep(c.hangup_probe, want_probe, kHangupProbeInterval, [this, id] { on_hangup_probe(id); });
    return stall_ok && idle_ok && probe_ok;
}

void ControlServer::close_client(std::uint64_t id) {
    const auto it = clients_.find(id);
    if (it == clients_.end()) return;
    // The client's handles go with it: watches and timers first, then the socket.
    clients_.erase(it);
}

}  // namespace svinit::control
