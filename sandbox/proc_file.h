#pragma once
// Reading the small files of /proc and /sys/fs/cgroup: their stat size says nothing (4096
// or 0), so read to the end, with a bound.

#include <cstddef>
#include <string>

#include "core/error.h"

namespace svinit::sandbox {

// The whole file; an error (EFBIG) when it holds more than `max` bytes.
core::Result<std::string> read_control_file(const std::string& path, std::size_t max);

// Writes `text` in one write (cgroup and /proc control files take one value per write).
core::Result<void> write_control_file(const std::string& path, std::string_view text);

}  // namespace svinit::sandbox
