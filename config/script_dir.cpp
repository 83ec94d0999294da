#include "config/script_dir.h"

#include <unistd.h>

#include "config/dir_listing.h"

namespace svinit::config {

bool is_executable_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> executables_in(const std::filesystem::path& dir, std::size_t max) {
    // my_init's listdir shows hidden files too; a directory that cannot be read has none.
    std::vector<std::string> scripts;
    for (const auto& name : list_dir(dir, max, true).names) {
        auto path = dir / name;
        if (is_executable_file(path)) scripts.push_back(path.string());
    }
    return scripts;
}

}  // namespace svinit::config
