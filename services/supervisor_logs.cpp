// The Supervisor's part in svctl logs: captured output by service name, and followers.

#include <unistd.h>

#include <vector>

#include "services/supervisor.h"

namespace svinit::services {

void Supervisor::set_output(LogSettings settings, int stdout_fd) {
    output_ = std::make_unique<OutputContext>();
    output_->stdout_queue =
        std::make_unique<SharedOutput>(loop_, stdout_fd, settings.stdout_buffer);
    output_->settings = std::move(settings);
    output_->on_line = [this](std::string_view service, const LogLine& line) {
        on_log_line(service, line);
    };
}

// A captured service holds two pipes more: 4 fds.
std::size_t Supervisor::capture_fds(const ServiceSpec& spec) const {
    return output_ && output_->mode_for(spec) != OutputMode::Inherit ? 4 : 0;
}

core::Result<std::vector<LogLine>> Supervisor::logs(std::string_view name,
                                                   std::size_t count) const {
    const Target target = find(name);
    if (target.service == nullptr) return core::error(ENOENT, std::string(name) + ": no such service");
    const OutputCapture* capture = target.service->capture();
    if (target.program == Program::Log || capture == nullptr) {
        return core::error(ENODATA, std::string(name) + ": output is not captured (" +
                                        (target.service->spec().log || target.program == Program::Log
                                             ? "a runit log/run logger reads it"
                                             : "output mode inherit") +
                                        ")");
    }
    return capture->last(count);
}

core::Result<SupervisorApi::FollowHandle> Supervisor::follow(
    std::string_view name, std::function<void(const LogLine&)> on_line) {
    if (auto checked = logs(name, 0); !checked) return std::unexpected(checked.error());
    const std::uint64_t id = next_follower_id_++;
    followers_.emplace(id, Follower{std::string(name), std::move(on_line)});
    return FollowHandle(*this, FollowId{id});
}

void Supervisor::unfollow(FollowId id) {
    followers_.erase(static_cast<std::uint64_t>(id));
}

void Supervisor::on_log_line(std::string_view service, const LogLine& line) {
    if (followers_.empty()) return;
    // A follower may go (its client closed) while others are told: ids first.
    std::vector<std::uint64_t> ids;
    for (const auto& [id, follower] : followers_) {
        if (follower.service == service) ids.push_back(id);
    }
    for (const std::uint64_t id : ids) {
        const auto it = followers_.find(id);
        if (it == followers_.end()) continue;
        // A copy: the follower may be removed while it runs.
        const auto on_line = it->second.on_line;
        on_line(line);
    }
}

}  // namespace svinit::services
