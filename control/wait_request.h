#pragma once
// One `wait up|down` request in progress: a SupervisorApi::wait per service, plus one loop
// timer for the timeout. Event-driven: nothing polls.

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "control/protocol.h"
#include "core/event_loop.h"
#include "services/supervisor_api.h"

namespace svinit::control {

class WaitRequest {
public:
    // Starts waiting on every service of `request` (kind Wait). Once each one has reached
    // the target, gone away, or run out of time, done() is true. If that happens after
    // the constructor returns, on_done is called once, from a loop callback of this
    // object's own (never from inside a supervisor callback, so the supervisor is not
    // re-entered); on_done may destroy this object.
    WaitRequest(core::EventLoop& loop, services::SupervisorApi& api, const Request& request,
                core::Callback on_done);
    // Destroying it cancels the supervisor waits and the timers still pending (handles).
    WaitRequest(const WaitRequest&) = delete;
    WaitRequest& operator=(const WaitRequest&) = delete;

    bool done() const noexcept { return pending_ == 0; }
    // One result per requested service, in order: ok, timeout or unknown_service.
    Response take_response();

private:
    struct Entry {
        ServiceResult result;
        services::SupervisorApi::WaitHandle wait;
        bool finished = false;
    };

    void on_result(std::size_t index, bool reached);
    void on_timeout();
    void give_up(ErrorCode code, const std::string& why);
    void notify_later();
    void notify();

    core::EventLoop& loop_;
    services::SupervisorApi& api_;
    services::WaitTarget target_;
    std::chrono::milliseconds timeout_;
    std::vector<Entry> entries_;
    std::size_t pending_ = 0;
    bool starting_ = true;  // inside the constructor: done() is read by the caller instead
    core::Callback on_done_;
    core::TimerHandle timeout_timer_;
    core::TimerHandle notify_timer_;
};

}  // namespace svinit::control
