#pragma once
// One stderr logger for svinit: "svinit: message", "svinit: warning: message"; in
// my_init mode my_init's own "*** message" for every level, as people grep for it.

#include <spdlog/common.h>

namespace svinit::launch {

enum class LogStyle { Svinit, MyInit };

void setup_logging(spdlog::level::level_enum level, LogStyle style = LogStyle::Svinit);

}  // namespace svinit::launch
