#include "services/shared_output.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace svinit::services {

SharedOutput::SharedOutput(core::EventLoop& loop, int fd, std::size_t limit)
    : loop_(loop), out_(fd), limit_(limit), broken_(out_.broken()) {}

SharedOutput::~SharedOutput() {
    watch_.reset();
    const auto deadline = core::SteadyClock::now() + std::chrono::seconds(1);
    pump();
    while (queued() > 0 && !broken_) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                       core::SteadyClock::now());
        if (left.count() <= 0) break;
        pollfd p{out_.fd(), POLLOUT, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        pump();
    }
    watch_.reset();
}

void SharedOutput::write(std::string_view lines) {
    if (broken_) return;
    buffer_.append(lines);
    pump();
}

SharedOutput::RoomHandle SharedOutput::when_room(core::Callback cb) {
    const std::uint64_t id = next_id_++;
    waiting_.emplace(id, std::move(cb));
    return RoomHandle(*this, RoomId{id});
}

void SharedOutput::pump() {
    while (queued() > 0 && !broken_) {
        const long n = out_.write_some(buffer_.data() + sent_, queued());
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
            spdlog::warn("services' output on stdout: write: {}; their lines are dropped from now on",
                         std::strerror(errno));
            broken_ = true;
            break;
        }
        sent_ += static_cast<std::size_t>(n);
    }
    if (queued() == 0 || broken_) {
        buffer_.clear();
        sent_ = 0;
    } else if (sent_ >= buffer_.size() / 2) {
        buffer_.erase(0, sent_);  // keeps the buffer's memory within twice what is queued
        sent_ = 0;
    }
    update_watch();
    if (!waiting_.empty() && (broken_ || queued() <= limit_ / 2)) {
        // Each callback may write (and ask again): take them all out first.
        std::vector<core::Callback> callbacks;
        for (auto& [id, cb] : waiting_) callbacks.push_back(std::move(cb));
        waiting_.clear();
        for (auto& cb : callbacks) cb();
    }
}

void SharedOutput::update_watch() {
    if (queued() == 0 || broken_) {
        watch_.reset();
        return;
    }
    if (watch_) return;
    if (auto watch = loop_.watch_writable(out_.fd(), [this] { pump(); })) {
        watch_ = std::move(*watch);
    }
}

}  // namespace svinit::services
