#include "pid1/final_sweep.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/kill_sweep.h"
#include "core/pidfd.h"
#include "pid1/my_init_log.h"

namespace svinit::pid1 {
namespace {

// After SIGKILL only a process stuck in uninterruptible sleep can remain; waiting
// for it forever would hang the container's exit, and the kernel kills it anyway
// when PID 1 exits.
constexpr core::Duration kAfterKillGuard = std::chrono::seconds(2);

void signal_all(int sig) {
    if (auto sent = core::signal_everyone(sig); !sent) {
        spdlog::warn("sending {} to all processes: {}", sigabbrev_np(sig), sent.error().message());
    }
}

}  // namespace

void FinalSweep::start(core::Duration grace, core::Callback done) {
    if (started_) return;
    started_ = true;
    as_pid1_ = ::getpid() == 1;
    done_ = std::move(done);
    no_children_ = reaper_.on_no_children([this] { check(); });
    signal_all(SIGTERM);
    signal_all(SIGCONT);
    if (auto timer = loop_.add_timer(grace, false, [this] { on_grace_expired(); })) {
        timer_ = std::move(*timer);
    } else {
        spdlog::error("kill grace timer: {}", timer.error().message());
        on_grace_expired();
    }
    // Nothing may be left at all; a pass finds out (or the running one will).
    reaper_.reap_all();
}

// Runs when the last child is reaped and when a watched stranger exits.
void FinalSweep::check() {
    if (finished_ || reaper_.has_children()) return;  // the next reap pass calls again
    if (!as_pid1_) return finish();
    if (!strangers_.empty()) return;  // the last of this batch calls again
    // A process found by a scan may be gone before its pidfd is opened: scan again.
    for (int scan = 0; scan < 3; ++scan) {
        switch (watch_strangers()) {
            case Batch::NoneLeft:
                return finish();
            case Batch::Watching:
            case Batch::Unwatchable:  // the grace timer ends the sweep
                return;
            case Batch::AllGone:
                break;
        }
    }
}

// Watches the next batch of processes that are not svinit's children.
FinalSweep::Batch FinalSweep::watch_strangers() {
    auto alive = core::live_processes(kMaxWatched);
    if (alive.empty()) return Batch::NoneLeft;
    for (pid_t pid : alive) {
        core::UniqueFd pidfd(core::pidfd_open(pid));
        if (!pidfd && errno == ESRCH) continue;  // gone since the scan
        if (!pidfd) {
            spdlog::warn("final sweep: pidfd_open {}: {}; waiting for the grace period instead",
                         pid, std::strerror(errno));
            return strangers_.empty() ? Batch::Unwatchable : Batch::Watching;
        }
        auto watch = loop_.watch_readable(pidfd.get(), [this, pid] {
            spdlog::debug("final sweep: pid {} is gone", pid);
            strangers_.erase(pid);  // the loop keeps this callback alive until it returns
            check();
        });
        if (!watch) {
            spdlog::warn("final sweep: watching pid {}: {}; waiting for the grace period instead",
                         pid, watch.error().message());
            return strangers_.empty() ? Batch::Unwatchable : Batch::Watching;
        }
        spdlog::debug("final sweep: waiting for pid {}, not a child of svinit", pid);
        strangers_.insert_or_assign(pid, Stranger{std::move(pidfd), std::move(*watch)});
    }
    return strangers_.empty() ? Batch::AllGone : Batch::Watching;
}

void FinalSweep::on_grace_expired() {
    timer_.release();
    if (finished_) return;
    if (voice_ == Voice::MyInit) {
        my_init_log().warn("Not all processes have exited in time. Forcing them to exit.");
    } else {
        spdlog::info("processes still running after the grace period; sending SIGKILL");
    }
    signal_all(SIGKILL);
    if (auto timer = loop_.add_timer(kAfterKillGuard, false, [this] {
            timer_.release();
            spdlog::warn("processes survived SIGKILL; exiting anyway");
            finish();
        })) {
        timer_ = std::move(*timer);
    }
}

void FinalSweep::finish() {
    if (finished_) return;
    finished_ = true;
    timer_.reset();
    no_children_.reset();
    strangers_.clear();
    if (done_) done_();
}

}  // namespace svinit::pid1
