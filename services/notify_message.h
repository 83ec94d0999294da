#pragma once
// sd_notify's message text, read as plain data: newline-separated KEY=VALUE assignments.

#include <optional>
#include <string>
#include <string_view>

namespace svinit::services {

struct NotifyMessage {
    bool ready = false;      // READY=1
    bool stopping = false;   // STOPPING=1
    bool reloading = false;  // RELOADING=1
    std::optional<std::string> status;  // STATUS=..., at most kMaxNotifyStatus bytes kept

    bool operator==(const NotifyMessage&) const = default;
};

inline constexpr std::size_t kMaxNotifyStatus = 256;

// Unknown keys (MAINPID, WATCHDOG, ...) and malformed lines are ignored; the last of a
// repeated key wins.
NotifyMessage parse_notify(std::string_view text);

}  // namespace svinit::services
