#pragma once
// An EventLoop for unit tests, as dinit's test loop: a manual clock and no waiting. Timers
// fire when the test advances the clock; fd watches fire when their fd is ready (checked
// with a zero-timeout poll), so real pipes and sockets still work. Service, Supervisor and
// the control layer run on it with no process and no sleep.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "core/event_loop.h"

namespace svinit::test {

class FakeLoop final : public core::EventLoop {
public:
    FakeLoop() = default;
    ~FakeLoop() override;

    core::TimePoint now() const override { return now_; }

    // Moves the clock forward by `by`, firing every timer that falls due on the way, each
    // with the clock at its own deadline, and running ready watches after each.
    void advance(core::Duration by);
    // Fires what is due now (timers at or before now, ready watches) until nothing is;
    // returns how many callbacks ran. Bounded, so a watch that stays ready cannot hang a
    // test: at most max_callbacks.
    std::size_t run_ready(std::size_t max_callbacks = 100000);
    // Jumps the clock to the next timer's deadline and fires it (and what follows);
    // false when no timer is armed.
    bool advance_to_next_timer();

    // Runs until stop(): what is ready first, then the next timer in virtual time. An
    // error when nothing is armed and nothing is ready (the loop would wait forever).
    core::Result<void> run() override;
    void stop() override { stop_requested_ = true; }
    std::string_view backend_name() const override { return "fake"; }

    void remove_watch(core::WatchId id) override { watches_.erase(id); }
    void remove_timer(core::TimerId id) override { timers_.erase(id); }

    std::size_t watch_count() const noexcept { return watches_.size(); }
    std::size_t timer_count() const noexcept { return timers_.size(); }
    // The earliest armed deadline, if any.
    std::optional<core::TimePoint> next_deadline() const;

protected:
    core::Result<core::WatchId> add_readable(int fd, core::Callback cb) override;
    core::Result<core::WatchId> add_writable(int fd, core::Callback cb) override;
    core::Result<core::TimerId> add_timer_id(core::Duration after, bool repeat,
                                             core::Callback cb) override;

private:
    struct Watch {
        int fd;
        short events;
        core::Callback cb;
    };
    struct Timer {
        core::TimePoint deadline;
        core::Duration period;  // zero for one-shot
        core::Callback cb;
    };

    bool fire_one_due_timer();
    std::size_t fire_ready_watches(std::size_t budget);

    core::TimePoint now_{std::chrono::hours(1000)};  // far from zero, like a real clock
    std::uint64_t next_id_ = 1;
    // Ordered by id, so equal deadlines fire in the order they were armed.
    std::map<core::WatchId, std::shared_ptr<Watch>> watches_;
    std::map<core::TimerId, std::shared_ptr<Timer>> timers_;
    bool stop_requested_ = false;
};

}  // namespace svinit::test
