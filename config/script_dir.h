#pragma once
// my_init's script directories (/etc/my_init.d, /etc/my_init.pre_shutdown.d,
// /etc/my_init.post_shutdown.d): the executable regular files in one, sorted by name.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace svinit::config {

// A bound, so a runaway directory cannot make PID 1 grow without limit.
inline constexpr std::size_t kMaxScripts = 10'000;

// Every entry of `dir` that is a regular file (symlinks followed) executable by us, as
// DIR/NAME in byte order of NAME -- my_init's sorted(listdir()) and is_exe(). A missing
// directory has none; entries that cannot be examined are skipped, as my_init does.
std::vector<std::string> executables_in(const std::filesystem::path& dir,
                                        std::size_t max = kMaxScripts);

// True when `path` is a regular file executable by us (my_init's is_exe).
bool is_executable_file(const std::filesystem::path& path);

}  // namespace svinit::config
