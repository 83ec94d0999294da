#include "config/small_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "core/unique_fd.h"

namespace svinit::config {

core::Result<std::string> read_small_file(const std::filesystem::path& path,
                                          std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    core::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) return core::sys_error("cannot open");
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return core::sys_error("cannot stat");
    if (!S_ISREG(st.st_mode)) return core::error(0, "not a regular file");
    const auto too_large = [max_bytes] {
        return core::error(0, fmt::format("larger than {} bytes", max_bytes));
    };
    if (st.st_size < 0 || static_cast<std::size_t>(st.st_size) > max_bytes) return too_large();
    // The size may change while we read: read up to one byte past the bound to tell.
    std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
    std::size_t got = 0;
    for (;;) {
        if (got == text.size()) {
            if (text.size() > max_bytes) break;
            text.resize(std::min(text.size() * 2, max_bytes + 1));
        }
        const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return core::sys_error("cannot read");
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got > max_bytes) return too_large();
    text.resize(got);
    return text;
}

core::Result<std::string> ReadBudget::read(const std::filesystem::path& path,
                                           std::size_t max_bytes) {
    auto over = [this] {
        return core::error(
            0, fmt::format("the configuration files hold more than {} bytes in all", total_));
    };
    if (left_ == 0) return over();
    auto text = read_small_file(path, max_bytes);
    if (!text) return text;
    if (text->size() > left_) {
        left_ = 0;
        return over();
    }
    left_ -= text->size();
    return text;
}

}  // namespace svinit::config
