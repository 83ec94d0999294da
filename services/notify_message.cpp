#include "services/notify_message.h"

namespace svinit::services {

NotifyMessage parse_notify(std::string_view text) {
    NotifyMessage out;
    while (!text.empty()) {
        const auto end = text.find('\n');
        const std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        const std::string_view key = line.substr(0, eq);
        const std::string_view value = line.substr(eq + 1);
        if (key == "READY") {
            out.ready = value == "1";
        } else if (key == "STOPPING") {
            out.stopping = value == "1";
        } else if (key == "RELOADING") {
            out.reloading = value == "1";
        } else if (key == "STATUS") {
            out.status = std::string(value.substr(0, kMaxNotifyStatus));
        }
    }
    return out;
}

}  // namespace svinit::services
