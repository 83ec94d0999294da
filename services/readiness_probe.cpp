#include "services/readiness_probe.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>

namespace svinit::services {

namespace {
// Bytes read per wakeup: a service that writes without a newline is read on, a chunk at
// a time, and never costs memory.
constexpr std::size_t kChunk = 512;
}  // namespace

ReadinessProbe::ReadinessProbe(core::EventLoop& loop, core::ChildHost& children, std::string name,
                               const ProcessSpec& process, ReadinessSpec spec, Report report)
    : loop_(loop),
      name_(std::move(name)),
      spec_(std::move(spec)),
      report_(std::move(report)),
      runner_(loop, children, name_ + ": readiness check", process) {}

core::Result<core::UniqueFd> ReadinessProbe::open_pipe() {
    stop();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        return core::sys_error("readiness pipe for " + name_);
    }
    pipe_.reset(fds[0]);
    core::UniqueFd write_end(fds[1]);
    // The write end blocks as any fd a program is given would.
    ::fcntl(write_end.get(), F_SETFL, 0);
    auto watch = loop_.watch_readable(pipe_.get(), [this] { on_pipe(); });
    if (!watch) {
        pipe_.reset();
        return std::unexpected(watch.error());
    }
    pipe_watch_ = std::move(*watch);
    return write_end;
}

void ReadinessProbe::on_pipe() {
    char buffer[kChunk];
    const ssize_t n = ::read(pipe_.get(), buffer, sizeof(buffer));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n > 0) {
        if (std::memchr(buffer, '\n', static_cast<std::size_t>(n)) == nullptr) return;
        spdlog::debug("{}: ready (a newline on its readiness fd)", name_);
        stop();
        return report(Verdict::Ready);
    }
    // End-of-file (or an error) with no newline: it never will be ready this run; the
    // readiness timeout says what follows.
    spdlog::warn("{}: closed its readiness fd {} without writing a newline", name_,
                 std::get<FdReadiness>(spec_.method).fd);
    pipe_watch_.reset();
    pipe_.reset();
}

void ReadinessProbe::begin() {
    next_try_.reset();
    runner_.cancel();
    failures_ = 0;
    last_failure_.clear();
    if (std::holds_alternative<ExecCheck>(spec_.method) ||
        std::holds_alternative<TcpCheck>(spec_.method)) {
        schedule();
    }
}

void ReadinessProbe::schedule() {
    auto armed = loop_.add_timer(spec_.interval, false, [this] {
        next_try_.release();
        try_once();
    });
    if (!armed) {  // no tries, ever: only the timeout can end this start
        spdlog::error("{}: readiness check timer: {}", name_, armed.error().message());
        return;
    }
    next_try_ = std::move(*armed);
}

void ReadinessProbe::try_once() {
    std::variant<ExecCheck, TcpCheck> check;
    if (const auto* exec = std::get_if<ExecCheck>(&spec_.method)) {
        check = *exec;
    } else {
        check = std::get<TcpCheck>(spec_.method);
    }
    runner_.start(check, spec_.check_timeout,
                  [this](const CheckOutcome& outcome) { on_outcome(outcome); });
}

void ReadinessProbe::on_outcome(const CheckOutcome& outcome) {
    if (outcome.passed) {
        spdlog::debug("{}: ready (its readiness check passed)", name_);
        stop();
        return report(Verdict::Ready);
    }
    ++failures_;
    last_failure_ = outcome.detail;
    if (spec_.retries > 0 && failures_ >= spec_.retries) {
        spdlog::warn("{}: not ready: its readiness check failed {} time{}; last: {}", name_,
                     failures_, failures_ == 1 ? "" : "s", outcome.detail);
        stop();
        return report(Verdict::GaveUp);
    }
    spdlog::debug("{}: readiness check failed (try {}): {}", name_, failures_, outcome.detail);
    schedule();
}

void ReadinessProbe::stop() {
    next_try_.reset();
    runner_.cancel();
    pipe_watch_.reset();
    pipe_.reset();
}

// Last in every callback: what the report sets off may stop or destroy this probe.
void ReadinessProbe::report(Verdict verdict) {
    if (report_) report_(verdict);
}

}  // namespace svinit::services
