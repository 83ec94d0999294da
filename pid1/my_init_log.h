#pragma once
// my_init's own lines ("*** Running /etc/my_init.d/10_x...", "*** Init system aborted.")
// go to a logger of their own. In my_init mode they show at the level asked for, while
// svinit's other lines are held back a level (my_init prints nothing of that kind, and
// people grep for its lines); in svinit's own mode it is the one default logger.

#include <spdlog/spdlog.h>

namespace svinit::pid1 {

inline constexpr const char* kMyInitLogger = "my_init";

// The my_init logger when it is registered, else the default one.
inline spdlog::logger& my_init_log() {
    if (auto logger = spdlog::get(kMyInitLogger)) return *logger;  // the registry keeps it
    return *spdlog::default_logger_raw();
}

}  // namespace svinit::pid1
