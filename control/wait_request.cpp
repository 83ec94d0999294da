#include "control/wait_request.h"

#include <spdlog/spdlog.h>

#include <string>
#include <utility>

namespace svinit::control {
namespace {

std::string_view target_name(services::WaitTarget target) {
    return target == services::WaitTarget::Up ? "up" : "down";
}

}  // namespace

WaitRequest::WaitRequest(core::EventLoop& loop, services::SupervisorApi& api,
                         const Request& request, core::Callback on_done)
    : loop_(loop),
      api_(api),
      target_(request.target),
      timeout_(request.timeout),
      entries_(request.services.size()),  // sized once: callbacks hold indexes into it
      on_done_(std::move(on_done)) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        Entry& entry = entries_[i];
        const std::string& given = request.services[i];
        entry.result.service = given;
        const auto name = api_.resolve(given);
        if (!name) {
            entry.result.error = ErrorCode::UnknownService;
            entry.result.message = given + ": no such service";
            entry.finished = true;
            continue;
        }
        ++pending_;
        // done may run inside wait() (the target is already reached): on_result copes.
        entry.wait = api_.wait(*name, target_, [this, i](bool reached) { on_result(i, reached); });
    }
    starting_ = false;
    if (pending_ == 0 || timeout_.count() == 0) return;
    auto timer = loop_.add_timer(timeout_, false, [this] {
        timeout_timer_.release();
        on_timeout();
    });
    if (timer) {
        timeout_timer_ = std::move(*timer);
    } else {
        give_up(ErrorCode::Failed, "cannot arm the timeout: " + timer.error().message());
    }
}

Response WaitRequest::take_response() {
    Response response;
    response.results.reserve(entries_.size());
    for (Entry& entry : entries_) response.results.push_back(std::move(entry.result));
    return response;
}

void WaitRequest::on_result(std::size_t index, bool reached) {
    if (index >= entries_.size() || entries_[index].finished) return;
    Entry& entry = entries_[index];
    entry.finished = true;
    entry.wait.release();  // done: nothing left to cancel
    --pending_;
    if (!reached) {
        entry.result.error = ErrorCode::UnknownService;
        entry.result.message = entry.result.service + ": no longer supervised";
    }
    if (pending_ == 0 && !starting_) notify_later();
}

void WaitRequest::on_timeout() {
    give_up(ErrorCode::Timeout, "not " + std::string(target_name(target_)) + " after " +
                                    std::to_string(timeout_.count()) + " ms");
    notify();  // from our own timer callback: safe to answer now
}

// Every service still pending gets `code`; only the constructor and on_timeout call it.
void WaitRequest::give_up(ErrorCode code, const std::string& why) {
    for (Entry& entry : entries_) {
        if (entry.finished) continue;
        entry.wait.reset();
        entry.finished = true;
        entry.result.error = code;
        entry.result.message = entry.result.service + ": " + why;
    }
    pending_ = 0;
}

void WaitRequest::notify_later() {
    timeout_timer_.reset();
    auto timer = loop_.add_timer(core::Duration::zero(), false, [this] {
        notify_timer_.release();
        notify();
    });
    if (timer) {
        notify_timer_ = std::move(*timer);
        return;
    }
    spdlog::error("control: wait: {}; answering at once", timer.error().message());
    notify();
}

void WaitRequest::notify() {
    // on_done may destroy *this: call a copy, and touch nothing afterwards.
    const core::Callback done = on_done_;
    done();
}

}  // namespace svinit::control
