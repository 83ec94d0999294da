#pragma once
// A directory's entry names, read with a bound: the one listing behind service
// directories, my_init's script directories and /etc/container_environment.

#include <cstddef>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace svinit::config {

struct DirListing {
    std::vector<std::string> names;  // sorted in byte order
    std::error_code error;           // opening or reading failed; names holds what was read
    bool truncated = false;          // more than `max` entries: the rest were not read
};

// Never throws (bar std::bad_alloc). Hidden names (".x") are left out, and not counted
// against `max`, unless include_hidden.
DirListing list_dir(const std::filesystem::path& dir, std::size_t max, bool include_hidden);

}  // namespace svinit::config
