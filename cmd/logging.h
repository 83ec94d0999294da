#pragma once
// One stderr logger for svinit: "svinit: message", "svinit: warning: message".

#include <spdlog/common.h>

namespace svinit::cmd {

void setup_logging(spdlog::level::level_enum level);

}  // namespace svinit::cmd
