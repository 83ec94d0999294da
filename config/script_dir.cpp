#include "config/script_dir.h"

#include <unistd.h>

#include <algorithm>

namespace svinit::config {

bool is_executable_file(const std::filesystem::path& path) {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<std::string> executables_in(const std::filesystem::path& dir, std::size_t max) {
    std::vector<std::string> names;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    for (; !ec && it != std::filesystem::directory_iterator() && names.size() < max;
         it.increment(ec)) {
        names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> scripts;
    for (const auto& name : names) {
        auto path = dir / name;
        if (is_executable_file(path)) scripts.push_back(path.string());
    }
    return scripts;
}

}  // namespace svinit::config
