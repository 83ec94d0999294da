#include "sandbox/proc_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "core/unique_fd.h"

namespace svinit::sandbox {

core::Result<std::string> read_control_file(const std::string& path, std::size_t max) {
    core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return core::sys_error(fmt::format("open {}", path));
    std::string text;
    char buffer[4096];
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return core::sys_error(fmt::format("read {}", path));
        if (n == 0) return text;
        if (text.size() + static_cast<std::size_t>(n) > max) {
            return core::error(EFBIG, fmt::format("read {}: more than {} bytes", path, max));
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

core::Result<void> write_control_file(const std::string& path, std::string_view text) {
    core::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return core::sys_error(fmt::format("open {}", path));
    const ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0) return core::sys_error(fmt::format("write \"{}\" to {}", text, path));
    if (static_cast<std::size_t>(n) != text.size()) {
        return core::error(EIO, fmt::format("write \"{}\" to {}: short write", text, path));
    }
    return {};
}

}  // namespace svinit::sandbox
