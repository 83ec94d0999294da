// config/config_loader.h on any main file: svinit --check-config's path, the one every
// reload takes too.
//
// Input: the bytes of the main file, written to a fresh temp dir's svinit.toml and loaded
// as --config with nothing else (default directories absent).
// Properties beyond "no crash, no hang": every error but the last "N more problems not
// shown" names this file and a LINE:COLUMN in it; every service of a valid file has a name
// and a command.
// Keys that read other paths (service-dirs, toml-service-dirs, a service's env-file)
// would scan or read this machine's files, so inputs that set them are skipped.

#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "config/config_loader.h"
#include "config/toml_document.h"
#include "fuzz/fuzz_check.h"

namespace fs = std::filesystem;

namespace {

// A temp dir made once per process and removed at exit.
class Scratch {
public:
    Scratch() {
        std::string pattern = (fs::temp_directory_path() / "svinit-fuzz-toml-XXXXXX").string();
        if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }
    ~Scratch() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// True when the parsed file names other paths svinit would read.
bool reads_other_paths(const toml::table& top) {
    if (top.contains("service-dirs") || top.contains("toml-service-dirs")) return true;
    const auto* services = top.get_as<toml::table>("services");
    if (!services) return false;
    for (const auto& [name, value] : *services) {
        const auto* service = value.as_table();
        if (service && service->contains("env-file")) return true;
    }
    return false;
}

bool names_a_place(const svinit::services::Diagnostic& error, const fs::path& file) {
    return error.file == file && error.line > 0 && error.column > 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Scratch scratch;
    if (scratch.path().empty()) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const fs::path file = scratch.path() / "svinit.toml";

    {
        svinit::config::Diagnostics ignored;
        auto parsed = svinit::config::parse_toml(text, file, ignored);
        if (parsed && reads_other_paths(*parsed)) return 0;
    }
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!out) return 0;
    }

    svinit::config::LoadRequest request;
    request.config_file = file;
    request.default_config_file = scratch.path() / "absent/svinit.toml";
    request.default_toml_service_dir = scratch.path() / "absent/services.d";
    const auto loaded = svinit::config::load_config(request);

    if (!loaded.ok()) {
        FUZZ_CHECK(!loaded.errors.empty());
        for (std::size_t i = 0; i < loaded.errors.size(); ++i) {
            const auto& error = loaded.errors[i];
            const bool summary =
                i + 1 == loaded.errors.size() && error.message.ends_with("more problems not shown");
            FUZZ_CHECK(summary || names_a_place(error, file), error.describe());
            FUZZ_CHECK(!error.message.empty());
        }
        return 0;
    }
    for (const auto& service : loaded.services) {
        FUZZ_CHECK(!service.name.empty());
        FUZZ_CHECK(!service.main.command.empty(), service.name);
    }
    return 0;
}
