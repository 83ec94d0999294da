#pragma once
// The value forms of a [sandbox] table that are text: sizes ("256M"), cpu-max ("50000
// 100000", "0.5") and errno names ("EPERM"). Errors name the text.

#include <cstdint>
#include <string>
#include <string_view>

#include "config/byte_size.h"
#include "core/error.h"
#include "sandbox/sandbox_spec.h"

namespace svinit::config {

// "QUOTA PERIOD" in microseconds (cgroup v2's cpu.max: "50000 100000"), or a number of
// CPUs ("0.5", "2") over a 100ms period.
core::Result<sandbox::CpuMax> parse_cpu_max(std::string_view text);
// A number of CPUs over a 100ms period.
core::Result<sandbox::CpuMax> cpu_max_from_cpus(double cpus);

// "EPERM" -> 1; nullopt-like error for a name glibc does not know.
core::Result<int> errno_from_name(std::string_view name);

}  // namespace svinit::config
