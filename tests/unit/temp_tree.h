// Shared helpers for unit tests that work on real temporary directories: a scoped
// temporary directory and writing files (service `run` scripts) into it.

#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace svinit::test {

// A fresh directory under the system temp dir (or `base`), named `<prefix>-XXXXXX`; removed
// with everything in it on destruction.
struct TempDir {
    std::filesystem::path path;
    explicit TempDir(std::string_view prefix,
                     const std::filesystem::path& base = std::filesystem::temp_directory_path()) {
        std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

inline constexpr auto kExecutable = std::filesystem::perms::owner_all |
                                    std::filesystem::perms::group_read |
                                    std::filesystem::perms::others_read;
inline constexpr auto kPlain =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

// Writes `content` to `file` (creating its parent directories) with exactly `perms`.
inline void write_file(const std::filesystem::path& file, std::filesystem::perms perms,
                       std::string_view content = "#!/bin/sh\n") {
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << content;
    std::filesystem::permissions(file, perms);
}

// Makes `dir` a service directory: an executable `run` script.
inline void make_service(const std::filesystem::path& dir) {
    write_file(dir / "run", kExecutable);
}

}  // namespace svinit::test
