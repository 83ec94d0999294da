#pragma once
// The main file's keys for services' output: svinit's --service-output and
// --service-log-* flags under the same names (docs/logging.md). A flag given on the
// command line wins over its key. Internal to config/; see main_config.h.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "config/toml_reader.h"
#include "services/log_settings.h"

namespace svinit::config {

struct OutputSettings {  // each nullopt when the file does not set it
    std::optional<services::OutputMode> mode;           // service-output
    std::optional<services::FullPolicy> when_full;      // service-output-full
    std::optional<services::PrefixFormat> prefix;       // service-log-prefix
    std::optional<std::filesystem::path> dir;           // service-log-dir
    std::optional<std::uint64_t> max_size;              // service-log-max-size
    std::optional<unsigned> keep;                       // service-log-keep
    std::optional<std::size_t> ring_bytes;              // service-log-ring
};

// Reads those keys of the main file's top table; a relative service-log-dir is made
// absolute against `base_dir`.
OutputSettings read_output_settings(TableReader& top, const std::filesystem::path& base_dir);

// What `settings` says, over `into` (the built-in values).
void apply_output_settings(const OutputSettings& settings, services::LogSettings& into);

}  // namespace svinit::config
