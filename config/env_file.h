#pragma once
// env-file: a service's environment variables in a file, one KEY=VALUE per line, as
// Docker's --env-file reads them.
//
//   # a comment          blank lines and lines starting with # are skipped
//   MODE=prod            the value is everything after the first '=', spaces included
//   export PORT=8080     an "export " before the name is allowed (shell-style files)
//   GREETING="a b"       one pair of quotes around the whole value, ' or ", is removed;
//                        nothing else is interpreted (no escapes, no $VAR)
//
// A trailing "\r" is dropped (files written on Windows). Names are [A-Za-z_][A-Za-z0-9_]*.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"

namespace svinit::config {

inline constexpr std::size_t kMaxEnvFileBytes = 1 << 20;
inline constexpr std::size_t kMaxEnvironment = 1'024;  // variables per service

struct EnvVariable {
    std::string name;
    std::string value;
    int line = 0;
    bool operator==(const EnvVariable&) const = default;
};

// The variables in file order (a name given twice: both, the later wins when applied).
// Problems go to `diags` with `file` and their line; the good lines are still returned.
std::vector<EnvVariable> parse_env_file(std::string_view text, const std::filesystem::path& file,
                                        Diagnostics& diags);

// A valid environment variable name.
bool is_env_name(std::string_view name);

}  // namespace svinit::config
