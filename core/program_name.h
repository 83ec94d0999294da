#pragma once
// Programs that answer to several names (svctl as sv and setuser, svinit as my_init)
// decide by argv[0]'s last component.

#include <string_view>

namespace svinit::core {

inline bool invoked_as(std::string_view argv0, std::string_view name) {
    if (auto slash = argv0.rfind('/'); slash != std::string_view::npos) {
        argv0.remove_prefix(slash + 1);
    }
    return argv0 == name;
}

}  // namespace svinit::core
