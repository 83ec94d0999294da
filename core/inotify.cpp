#include "core/inotify.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>

namespace svinit::core {

namespace {

// Room for many records per read(); the kernel needs at least one whole record
// (sizeof(inotify_event) + NAME_MAX + 1) or read() fails with EINVAL.
constexpr std::size_t kReadBuffer = 16 * 1024;
static_assert(kReadBuffer >= sizeof(inotify_event) + NAME_MAX + 1);

}  // namespace

ParseStatus parse_inotify_events(std::span<const std::byte> bytes, std::size_t limit,
                                 std::vector<InotifyEvent>& out) {
    std::size_t offset = 0;
    while (offset < bytes.size()) {
        if (out.size() >= limit) return ParseStatus::LimitReached;
        inotify_event header{};
        if (bytes.size() - offset < sizeof header) return ParseStatus::Malformed;
        std::memcpy(&header, bytes.data() + offset, sizeof header);
        offset += sizeof header;
        if (header.len > bytes.size() - offset) return ParseStatus::Malformed;
        // The name is NUL-padded to `len`; a name that fills `len` has no NUL at all.
        const auto* name = reinterpret_cast<const char*>(bytes.data() + offset);
        const std::size_t name_len = ::strnlen(name, header.len);
        out.push_back(
            InotifyEvent{header.wd, header.mask, header.cookie, std::string(name, name_len)});
        offset += header.len;
    }
    return ParseStatus::Complete;
}

Result<Inotify> Inotify::open() {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) return sys_error("inotify_init1");
    return Inotify(UniqueFd(fd));
}

Result<int> Inotify::add_watch(const std::filesystem::path& path, std::uint32_t mask) {
    const int wd = ::inotify_add_watch(fd_.get(), path.c_str(), mask);
    if (wd < 0) return sys_error("inotify_add_watch " + path.string());
    return wd;
}

Result<void> Inotify::remove_watch(int wd) {
    if (::inotify_rm_watch(fd_.get(), wd) != 0) return sys_error("inotify_rm_watch");
    return {};
}

Result<std::vector<InotifyEvent>> Inotify::read_events(std::size_t limit) {
    limit = std::max<std::size_t>(limit, 1);
    std::vector<InotifyEvent> out;
    alignas(inotify_event) std::array<std::byte, kReadBuffer> buffer;
    while (out.size() < limit) {
        const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) break;
            return sys_error("read inotify");
        }
        if (n == 0) break;
        const auto status =
            parse_inotify_events(std::span(buffer.data(), static_cast<std::size_t>(n)), limit, out);
        if (status != ParseStatus::Complete) {
            // The rest of this read is gone: say so the way the kernel does.
            if (out.size() >= limit) out.resize(limit - 1);
            out.push_back(InotifyEvent{-1, IN_Q_OVERFLOW, 0, {}});
            break;
        }
    }
    return out;
}

}  // namespace svinit::core
