#pragma once
// Signal names as Docker's STOPSIGNAL takes them: "SIGTERM", "TERM", "15", "SIGRTMIN+3".

#include <string_view>

#include "core/error.h"

namespace svinit::core {

core::Result<int> parse_signal(std::string_view text);

}  // namespace svinit::core
