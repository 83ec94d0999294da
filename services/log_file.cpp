#include "services/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace svinit::services {

std::filesystem::path rotated_path(const std::filesystem::path& current, unsigned index) {
    if (index == 0) return current;
    std::filesystem::path p = current;
    // Two appends, not "." + to_string(): GCC 12 at -O3 warns falsely (-Wrestrict) on that.
    p += ".";
    p += std::to_string(index);
    return p;
}

core::Result<void> RotatingFile::open() {
    std::error_code ec;
    std::filesystem::create_directories(current_.parent_path(), ec);  // open() says what failed
    fd_.reset(::open(current_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640));
    if (!fd_) return core::sys_error("open " + current_.string());
    struct stat st {};
    size_ = ::fstat(fd_.get(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    return {};
}

core::Result<void> RotatingFile::rotate() {
    fd_.reset();
    if (keep_ == 0) {
        if (::unlink(current_.c_str()) != 0 && errno != ENOENT) {
            return core::sys_error("unlink " + current_.string());
        }
        return open();
    }
    // The oldest goes; rename() replaces it, so only a gap needs no care.
    for (unsigned i = keep_; i > 0; --i) {
        const auto from = rotated_path(current_, i - 1);
        const auto to = rotated_path(current_, i);
        if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
            return core::sys_error("rename " + from.string() + " to " + to.string());
        }
    }
    return open();
}

core::Result<void> RotatingFile::write(std::string_view data) {
    while (!data.empty()) {
        if (!fd_) {
            if (auto opened = open(); !opened) return opened;
        }
        const std::size_t take = fitting(data);
        if (take == 0) {
            if (auto rotated = rotate(); !rotated) return rotated;
            continue;
        }
        if (auto written = write_all(data.substr(0, take)); !written) return written;
        data.remove_prefix(take);
    }
    return {};
}

std::size_t RotatingFile::fitting(std::string_view data) const {
    if (size_ + data.size() <= max_size_) return data.size();
    const auto room = static_cast<std::size_t>(max_size_ > size_ ? max_size_ - size_ : 0);
    if (room > 0) {
        const auto end = data.rfind('\n', room - 1);
        if (end != std::string_view::npos) return end + 1;  // the whole lines that fit
    }
    if (size_ > 0) return 0;  // rotate first
    // A line longer than max-size, in an empty file: whole, in a file of its own.
    const auto end = data.find('\n');
    return end == std::string_view::npos ? data.size() : end + 1;
}

core::Result<void> RotatingFile::write_all(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd_.get(), data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            const auto failed = core::sys_error("write " + current_.string());
            fd_.reset();
            return failed;
        }
        size_ += static_cast<std::uint64_t>(n);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace svinit::services
