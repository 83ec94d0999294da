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

// What many files may hold together, so that ten thousand files just under their own bound
// cannot add up to gigabytes in PID 1.
class ReadBudget {
public:
    explicit ReadBudget(std::size_t total) : left_(total), total_(total) {}

    // read_small_file, then taken from the budget; an error once the files read so far
    // hold more than the total: "the configuration files hold more than N bytes in all".
    core::Result<std::string> read(const std::filesystem::path& path, std::size_t max_bytes);

private:
    std::size_t left_;
    std::size_t total_;
};

}  // namespace svinit::config
