// The io_uring backend: one ring, submit-and-wait once per turn, the completion queue
// drained in a batch, each completion dispatched on its tagged user_data.
//
// Readiness uses one-shot POLL_ADD requests, re-armed after each callback, and not
// multishot poll: a multishot poll posts a completion only when the fd's wait queue is
// woken, so an fd left readable after a partial read would never fire again, which
// breaks the level-style rule of event_loop.h. A one-shot poll checks readiness when it
// is armed, so it completes at once while data is left. The re-arm rides in the next
// submit-and-wait, so it costs no extra system call.

#include <fcntl.h>
#include <liburing.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/event_loop.h"
#include "core/unique_fd.h"

namespace svinit::core {
namespace {

constexpr unsigned kRingEntries = 256;
constexpr unsigned kPollIn = POLLIN;
constexpr unsigned kPollOut = POLLOUT;

// user_data is the request's kind in the top two bits and an id below. Kind 3 marks
// requests whose completions are ignored (removals, the probe; liburing's own internal
// timeout uses all ones, which lands there too).
enum class Tag : std::uint64_t { None = 0, Poll = 1, Timer = 2, Ignored = 3 };
constexpr int kTagShift = 62;
constexpr std::uint64_t kIdMask = (std::uint64_t{1} << kTagShift) - 1;

constexpr std::uint64_t make_user_data(Tag tag, std::uint64_t id) {
    return (static_cast<std::uint64_t>(tag) << kTagShift) | (id & kIdMask);
}
constexpr Tag tag_of(std::uint64_t user_data) {
    return Tag{user_data >> kTagShift};
}
constexpr std::uint64_t id_of(std::uint64_t user_data) {
    return user_data & kIdMask;
}

// Callbacks must not throw (errors are values), but PID 1 must not die if one does.
void run_callback(const Callback& cb) {
    try {
        cb();
    } catch (const std::exception& e) {
        spdlog::error("event loop: callback threw: {}", e.what());
    } catch (...) {
        spdlog::error("event loop: callback threw a non-standard exception");
    }
}

// Owns the ring; io_uring_queue_exit closes the ring fd, cancelling what is in flight.
class Ring {
public:
    Ring() = default;
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;
    ~Ring() {
        if (ready_) io_uring_queue_exit(&ring_);
    }

    Result<void> init(unsigned entries) {
        // COOP_TASKRUN (5.19): we only look at completions from inside io_uring_enter,
        // so the kernel need not interrupt us to run their task work (an interruption
        // that can break an unrelated system call with EINTR). Older kernels: EINVAL.
        int rc = io_uring_queue_init(entries, &ring_, IORING_SETUP_COOP_TASKRUN);
        if (rc == -EINVAL) rc = io_uring_queue_init(entries, &ring_, 0);
        if (rc < 0) return error(-rc, "io_uring_setup");
        ready_ = true;
        // The kernel always creates the ring fd O_CLOEXEC (liburing passes no flag for
        // it); check anyway, as a leaked ring fd would keep every watched file open.
        const int fd_flags = ::fcntl(ring_.ring_fd, F_GETFD);
        if (fd_flags < 0) return sys_error("fcntl F_GETFD on the io_uring fd");
        if ((fd_flags & FD_CLOEXEC) == 0 &&
            ::fcntl(ring_.ring_fd, F_SETFD, fd_flags | FD_CLOEXEC) < 0) {
            return sys_error("fcntl F_SETFD on the io_uring fd");
        }
        return {};
    }

    io_uring* get() noexcept { return &ring_; }

private:
    io_uring ring_{};
    bool ready_ = false;
};

struct Watch {
    int fd;
    unsigned poll_mask;  // kPollIn or kPollOut
    Callback cb;
    bool armed = false;  // a poll request is queued or in the kernel
};

struct Timer {
    __kernel_timespec spec;  // read by the kernel when the request is submitted
    bool repeat;
    Callback cb;
    bool armed = false;
};

enum class OpKind { ArmPoll, ArmTimer, RemovePoll, RemoveTimer };
struct Op {
    OpKind kind;
    std::uint64_t id;
};

struct Completion {
    std::uint64_t user_data;
    std::int32_t res;
};

__kernel_timespec to_timespec(Duration d) {
    const std::int64_t ns = d.count() < 0 ? 0 : d.count();
    return {.tv_sec = ns / 1'000'000'000, .tv_nsec = ns % 1'000'000'000};
}

class UringLoop final : public EventLoop {
public:
    Result<void> init();

    void remove_watch(WatchId id) override;
    void remove_timer(TimerId id) override;
    Result<void> run() override;
    void stop() override { stop_requested_ = true; }
    std::string_view backend_name() const override { return "io_uring"; }

protected:
    Result<WatchId> add_readable(int fd, Callback cb) override;
    Result<WatchId> add_writable(int fd, Callback cb) override;
    Result<TimerId> add_timer_id(Duration after, bool repeat, Callback cb) override;

private:
    Result<void> probe_multishot_poll();
    Result<WatchId> add_watch(int fd, unsigned poll_mask, Callback cb);
    Result<void> run_until_stopped();
    Result<void> wait_for_completions();
    void collect_batch();
    void dispatch(const Completion& c);
    void on_poll(std::uint64_t id, std::int32_t res);
    void on_timer(std::uint64_t id, std::int32_t res);

    void perform(Op op);
    void prep(io_uring_sqe* sqe, Op op);
    bool is_live(Op op) const;
    void flush_deferred();
    io_uring_sqe* get_sqe();
    void submit();
    void release_submitted();

    Ring ring_;
    std::unordered_map<WatchId, std::shared_ptr<Watch>> watches_;
    std::unordered_map<TimerId, std::shared_ptr<Timer>> timers_;
    // Timers whose timespec a queued, not yet submitted request points at: a timer
    // cancelled before submission must outlive the submission.
    std::vector<std::shared_ptr<Timer>> unsubmitted_timers_;
    // Requests that found no free sqe even after a submit; retried every turn.
    std::vector<Op> deferred_;
    std::vector<Completion> batch_;
    std::uint64_t next_id_ = 1;  // shared by watches and timers, never reused
    bool running_ = false;
    bool stop_requested_ = false;
};

Result<void> UringLoop::init() {
    if (auto r = ring_.init(kRingEntries); !r) return r;
    return probe_multishot_poll();
}

// Multishot poll (5.13) is the floor asked of io_uring here: it marks a kernel with
// mature poll support, and doing a real poll proves that a seccomp profile lets
// io_uring_enter through too, not just io_uring_setup. Older kernels fail the request
// with EINVAL, and Auto then falls back to epoll.
Result<void> UringLoop::probe_multishot_poll() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) return sys_error("pipe2 for the io_uring probe");
    const UniqueFd read_end(fds[0]);
    const UniqueFd write_end(fds[1]);
    if (::write(write_end.get(), "x", 1) != 1) return sys_error("write to the io_uring probe pipe");

    const std::uint64_t tag = make_user_data(Tag::Ignored, 0);
    io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
    io_uring_prep_poll_multishot(sqe, read_end.get(), kPollIn);
    io_uring_sqe_set_data64(sqe, tag);
    if (const int rc = io_uring_submit(ring_.get()); rc < 0) return error(-rc, "io_uring_enter");

    io_uring_cqe* cqe = nullptr;
    __kernel_timespec limit{.tv_sec = 1, .tv_nsec = 0};
    int rc = 0;
    do {
        rc = io_uring_wait_cqe_timeout(ring_.get(), &cqe, &limit);
    } while (rc == -EINTR);
    if (rc < 0) return error(-rc, "io_uring probe: waiting for a multishot poll");
    const bool works = cqe->res > 0 && (cqe->res & POLLIN) != 0 && (cqe->flags & IORING_CQE_F_MORE);
    const int res = cqe->res;
    io_uring_cqe_seen(ring_.get(), cqe);
    if (!works) return error(res < 0 ? -res : EOPNOTSUPP, "io_uring probe: multishot poll");

    // The armed poll pins the pipe until removed; the removal's completions are ignored.
    sqe = io_uring_get_sqe(ring_.get());
    io_uring_prep_poll_remove(sqe, tag);
    io_uring_sqe_set_data64(sqe, tag);
    if (const int rc2 = io_uring_submit(ring_.get()); rc2 < 0) return error(-rc2, "io_uring_enter");
    return {};
}

Result<WatchId> UringLoop::add_readable(int fd, Callback cb) {
    return add_watch(fd, kPollIn, std::move(cb));
}

// A second one-shot poll on the same fd: the kernel keeps each poll request apart, so a
// readable and a writable watch on one fd coexist.
Result<WatchId> UringLoop::add_writable(int fd, Callback cb) {
    return add_watch(fd, kPollOut, std::move(cb));
}

Result<WatchId> UringLoop::add_watch(int fd, unsigned poll_mask, Callback cb) {
    const std::uint64_t id = next_id_++;
    watches_.emplace(WatchId{id}, std::make_shared<Watch>(Watch{fd, poll_mask, std::move(cb)}));
    perform({OpKind::ArmPoll, id});
    return WatchId{id};
}

void UringLoop::remove_watch(WatchId id) {
    const auto it = watches_.find(id);
    if (it == watches_.end()) return;
    const bool armed = it->second->armed;
    watches_.erase(it);
    if (!armed) return;
    perform({OpKind::RemovePoll, static_cast<std::uint64_t>(id)});
    // Outside run() nothing would submit the removal soon, and until then the kernel
    // keeps the file open (a pipe's writer would not see EPIPE).
    if (!running_) submit();
}

Result<TimerId> UringLoop::add_timer_id(Duration after, bool repeat, Callback cb) {
    const std::uint64_t id = next_id_++;
    timers_.emplace(TimerId{id},
                    std::make_shared<Timer>(Timer{to_timespec(after), repeat, std::move(cb)}));
    perform({OpKind::ArmTimer, id});
    return TimerId{id};
}

void UringLoop::remove_timer(TimerId id) {
    const auto it = timers_.find(id);
    if (it == timers_.end()) return;
    const bool armed = it->second->armed;
    timers_.erase(it);
    if (!armed) return;
    perform({OpKind::RemoveTimer, static_cast<std::uint64_t>(id)});
    if (!running_) submit();
}

Result<void> UringLoop::run() {
    running_ = true;
    Result<void> result = run_until_stopped();
    running_ = false;
    stop_requested_ = false;
    return result;
}

// A stop() takes effect after the current batch: the batch's completions are already
// consumed from the ring, and dropping them would leave those watches unarmed.
Result<void> UringLoop::run_until_stopped() {
    while (!stop_requested_) {
        if (watches_.empty() && timers_.empty()) {
            return error(0, "event loop (io_uring): run() with nothing to wait for");
        }
        flush_deferred();
        if (auto r = wait_for_completions(); !r) return r;
        collect_batch();
        for (const Completion& c : batch_) dispatch(c);
    }
    return {};
}

Result<void> UringLoop::wait_for_completions() {
    for (;;) {
        const int rc = io_uring_submit_and_wait(ring_.get(), 1);
        release_submitted();
        if (rc >= 0) return {};
        // EBUSY/EAGAIN: the kernel is short of room for completions; draining makes room.
        const bool transient = rc == -EINTR || rc == -EBUSY || rc == -EAGAIN;
        if (transient && io_uring_cq_ready(ring_.get()) > 0) return {};
        if (rc == -EINTR) continue;
        return error(-rc, "io_uring_enter");
    }
}

// Completions are copied out and the queue advanced before any callback runs, so the
// requests callbacks queue never compete with this batch for completion slots.
void UringLoop::collect_batch() {
    batch_.clear();
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(ring_.get(), head, cqe) {
        batch_.push_back({cqe->user_data, cqe->res});
        ++seen;
    }
    io_uring_cq_advance(ring_.get(), seen);
}

void UringLoop::dispatch(const Completion& c) {
    switch (tag_of(c.user_data)) {
        case Tag::Poll:
            on_poll(id_of(c.user_data), c.res);
            break;
        case Tag::Timer:
            on_timer(id_of(c.user_data), c.res);
            break;
        case Tag::None:
        case Tag::Ignored:
            break;
    }
}

void UringLoop::on_poll(std::uint64_t id, std::int32_t res) {
    const auto it = watches_.find(WatchId{id});
    // Unwatched while its completion was queued: never fire.
    if (it == watches_.end()) return;
    const std::shared_ptr<Watch> watch = it->second;  // the callback may unwatch itself
    watch->armed = false;
    if (res == -ECANCELED) {  // not by us (we forget a watch before removing it)
        perform({OpKind::ArmPoll, id});
        return;
    }
    if (res < 0) {
        // Like libev's EV_ERROR: the owner gets one call (its read will see the error)
        // and the watch goes quiet instead of spinning on a broken fd.
        spdlog::warn("event loop (io_uring): poll on fd {} failed: {}", watch->fd,
                     Error{-res, "poll"}.message());
        run_callback(watch->cb);
        return;
    }
    run_callback(watch->cb);
    if (watches_.contains(WatchId{id})) perform({OpKind::ArmPoll, id});
}

void UringLoop::on_timer(std::uint64_t id, std::int32_t res) {
    const auto it = timers_.find(TimerId{id});
    // Cancelled while its completion was queued: never fire.
    if (it == timers_.end()) return;
    const std::shared_ptr<Timer> timer = it->second;  // the callback may cancel itself
    timer->armed = false;
    if (res == -ECANCELED) {  // not by us
        perform({OpKind::ArmTimer, id});
        return;
    }
    if (res != -ETIME && res < 0) {
        spdlog::error("event loop (io_uring): timer {} failed: {}", id,
                      Error{-res, "timeout"}.message());
        timers_.erase(it);
        return;
    }
    if (!timer->repeat) timers_.erase(it);
    run_callback(timer->cb);
    // Re-armed relative to now, so a repeating timer drifts by the dispatch latency.
    if (timer->repeat && timers_.contains(TimerId{id})) perform({OpKind::ArmTimer, id});
}

void UringLoop::perform(Op op) {
    io_uring_sqe* sqe = get_sqe();
    if (sqe == nullptr) {
        deferred_.push_back(op);
        return;
    }
    prep(sqe, op);
}

void UringLoop::prep(io_uring_sqe* sqe, Op op) {
    switch (op.kind) {
        case OpKind::ArmPoll: {
            Watch& watch = *watches_.at(WatchId{op.id});
            io_uring_prep_poll_add(sqe, watch.fd, watch.poll_mask);
            io_uring_sqe_set_data64(sqe, make_user_data(Tag::Poll, op.id));
            watch.armed = true;
            break;
        }
        case OpKind::ArmTimer: {
            const std::shared_ptr<Timer>& timer = timers_.at(TimerId{op.id});
            io_uring_prep_timeout(sqe, &timer->spec, 0, 0);
            io_uring_sqe_set_data64(sqe, make_user_data(Tag::Timer, op.id));
            timer->armed = true;
            unsubmitted_timers_.push_back(timer);
            break;
        }
        case OpKind::RemovePoll:
            io_uring_prep_poll_remove(sqe, make_user_data(Tag::Poll, op.id));
            io_uring_sqe_set_data64(sqe, make_user_data(Tag::Ignored, op.id));
            break;
        case OpKind::RemoveTimer:
            io_uring_prep_timeout_remove(sqe, make_user_data(Tag::Timer, op.id), 0);
            io_uring_sqe_set_data64(sqe, make_user_data(Tag::Ignored, op.id));
            break;
    }
}

bool UringLoop::is_live(Op op) const {
    switch (op.kind) {
        case OpKind::ArmPoll:
            return watches_.contains(WatchId{op.id});
        case OpKind::ArmTimer:
            return timers_.contains(TimerId{op.id});
        case OpKind::RemovePoll:
        case OpKind::RemoveTimer:
            return true;
    }
    return true;
}

void UringLoop::flush_deferred() {
    if (deferred_.empty()) return;
    std::vector<Op> ops = std::exchange(deferred_, {});
    for (const Op op : ops) {
        if (is_live(op)) perform(op);
    }
}

io_uring_sqe* UringLoop::get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
    if (sqe != nullptr) return sqe;
    submit();  // the submission queue is full: hand it to the kernel, then retry once
    return io_uring_get_sqe(ring_.get());
}

void UringLoop::submit() {
    if (const int rc = io_uring_submit(ring_.get()); rc < 0 && rc != -EINTR) {
        spdlog::warn("event loop (io_uring): {}", Error{-rc, "io_uring_enter"}.message());
    }
    release_submitted();
}

// The kernel copies a timeout's timespec when it consumes the request.
void UringLoop::release_submitted() {
    if (io_uring_sq_ready(ring_.get()) == 0) unsubmitted_timers_.clear();
}

}  // namespace

Result<std::unique_ptr<EventLoop>> make_uring_loop() {
    auto loop = std::make_unique<UringLoop>();
    if (auto r = loop->init(); !r) return std::unexpected(std::move(r.error()));
    return std::unique_ptr<EventLoop>(std::move(loop));
}

}  // namespace svinit::core
