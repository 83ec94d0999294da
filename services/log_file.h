#pragma once
// file mode's per-service files, rotated by size inside svinit (no svlogd per service).
//
// The current file is DIR/NAME.log. When writing a line would take it past max_size (and
// it holds something), NAME.log.KEEP is removed, NAME.log.(i) renamed to NAME.log.(i+1)
// from the highest down, NAME.log to NAME.log.1, and a new NAME.log begun: at most KEEP
// old files, each at most max_size (a single line longer than that is written whole to a
// file of its own). Regular files never block a writer, so this is written from the loop.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/error.h"
#include "core/unique_fd.h"

namespace svinit::services {

inline constexpr std::uint64_t kDefaultLogMaxSize = 1024 * 1024;
inline constexpr unsigned kDefaultLogKeep = 5;

// NAME.log for index 0, NAME.log.N for the Nth old file.
std::filesystem::path rotated_path(const std::filesystem::path& current, unsigned index);

class RotatingFile {
public:
    RotatingFile(std::filesystem::path current, std::uint64_t max_size, unsigned keep)
        : current_(std::move(current)), max_size_(max_size == 0 ? 1 : max_size), keep_(keep) {}

    // Appends `data` (whole lines, one or many), rotating between lines wherever the next
    // would not fit. Opens the file on first use (and again after an error).
    core::Result<void> write(std::string_view data);

    const std::filesystem::path& path() const noexcept { return current_; }

private:
    core::Result<void> open();
    core::Result<void> rotate();
    // How much of `data` goes into the current file: the whole lines that fit; 0 when it
    // must be rotated first.
    std::size_t fitting(std::string_view data) const;
    core::Result<void> write_all(std::string_view data);

    std::filesystem::path current_;
    std::uint64_t max_size_;
    unsigned keep_;
    core::UniqueFd fd_;
    std::uint64_t size_ = 0;
};

}  // namespace svinit::services
