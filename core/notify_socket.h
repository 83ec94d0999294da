#pragma once
// The socket a service's sd_notify messages arrive on (NOTIFY_SOCKET): an AF_UNIX datagram
// socket in the abstract namespace, so it needs no directory and vanishes with svinit.
// SO_PASSCRED makes the kernel attach the sender's pid to every message, which the owner
// checks against the service's processes: anyone may send, only the service is heard.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/unique_fd.h"

namespace svinit::core {

// sd_notify's messages are short; a longer one is dropped whole.
inline constexpr std::size_t kMaxNotifyMessage = 4096;

class NotifySocket {
public:
    // Binds "\0svinit-notify/TOKEN/NAME", TOKEN random per svinit, so svinits in other
    // PID namespaces of the same network namespace never share a name.
    static Result<NotifySocket> open(std::string_view name);

    int fd() const noexcept { return fd_.get(); }
    // The NOTIFY_SOCKET value: "@svinit-notify/TOKEN/NAME".
    const std::string& address() const noexcept { return address_; }

    struct Message {
        pid_t pid = 0;  // the sender, from SCM_CREDENTIALS; 0 when the kernel gave none
        std::string text;
    };
    // The next message waiting; nullopt when there is none. Never blocks.
    Result<std::optional<Message>> receive();

private:
    UniqueFd fd_;
    std::string address_;
};

}  // namespace svinit::core
