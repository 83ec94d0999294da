#pragma once
// Reading a whole configuration file, bounded: a hostile or mistaken path (a FIFO, a
// device, a huge file) must neither block nor grow PID 1.

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/error.h"

namespace svinit::config {

// The contents of the regular file `path`, at most `max_bytes` of them. Errors, without
// the path (the caller names it): "cannot open: No such file or directory", "not a
// regular file", "larger than 4194304 bytes".
core::Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace svinit::config
