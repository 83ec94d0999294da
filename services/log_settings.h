#pragma once
// Where services' output goes (docs/logging.md): svinit's --service-output and friends as
// a plain value, and a service's own choice of mode.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "services/log_file.h"
#include "services/log_format.h"
#include "services/log_line.h"
#include "services/log_ring.h"

namespace svinit::services {

// inherit: the service writes to svinit's stdout and stderr itself (runit's way);
// prefix: svinit reads its output and writes `NAME | line` to its own stdout;
// json: one JSON object per line to svinit's stdout;
// file: DIR/NAME.log, rotated by size.
// A service with a runit log/run logger keeps its pipe to the logger whatever the mode.
enum class OutputMode { Inherit, Prefix, Json, File };

std::string_view to_string(OutputMode mode) noexcept;
// "inherit", "prefix", "json" or "file"; the error names the text and the choices.
core::Result<OutputMode> parse_output_mode(std::string_view text);

// When svinit's stdout cannot take more: block stops reading the services that write
// there (their writes block; nothing is lost), drop throws their lines away and counts
// them.
enum class FullPolicy { Block, Drop };
core::Result<FullPolicy> parse_full_policy(std::string_view text);

// What applies to every service that does not say otherwise.
struct LogSettings {
    OutputMode mode = OutputMode::Inherit;
    FullPolicy when_full = FullPolicy::Block;
    PrefixFormat prefix = default_prefix_format();  // prefix mode: what stands before " | "
    std::filesystem::path dir = "/var/log/svinit";  // file mode
    std::uint64_t max_size = kDefaultLogMaxSize;     // file mode: per file
    unsigned keep = kDefaultLogKeep;                 // file mode: old files kept
    std::size_t ring_bytes = kDefaultRingBytes;      // per service, for svctl logs
    std::size_t max_line = kDefaultMaxLineBytes;
    // svinit's stdout queue for all services together; over it, see when_full.
    std::size_t stdout_buffer = 1024 * 1024;
};

}  // namespace svinit::services
