#pragma once
// A [sandbox] table -> sandbox::SandboxSpec, validated like every table: each error at its
// FILE:LINE:COLUMN, unknown keys with a did-you-mean. The keys are docs/sandbox.md's. The
// same reader serves a service's [services.NAME.sandbox] and the file of
// `svinit run --sandbox FILE`.

#include <filesystem>
#include <optional>
#include <vector>

#include "config/toml_reader.h"
#include "sandbox/sandbox_spec.h"
#include "services/service_spec.h"

namespace svinit::config {

// Relative paths (root, bind sources) start at `base_dir`.
sandbox::SandboxSpec read_sandbox(TableReader& reader, const std::filesystem::path& base_dir);

struct SandboxFile {
    std::optional<sandbox::SandboxSpec> spec;  // set when there were no errors
    std::vector<services::Diagnostic> errors;
};

// A file of [sandbox] keys: at its top, or in a [sandbox] table.
SandboxFile load_sandbox_file(const std::filesystem::path& file);

}  // namespace svinit::config
