#include "pid1/final_sweep.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include "core/kill_sweep.h"

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
    done_ = std::move(done);
    no_children_ = reaper_.on_no_children([this] { finish(); });
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

void FinalSweep::on_grace_expired() {
    timer_.release();
    if (finished_) return;
    spdlog::info("processes still running after the grace period; sending SIGKILL");
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
    if (done_) done_();
}

}  // namespace svinit::pid1
