#pragma once
// Sizes written as text, the same in every file and flag: "256M", "1g", "65536".

#include <cstdint>
#include <string_view>

#include "core/error.h"

namespace svinit::config {

// NUMBER with an optional unit K, M, G or T (powers of 1024, either case), e.g. "256M",
// "1g", "65536". At most 2^62 bytes. The error names the text.
core::Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace svinit::config
