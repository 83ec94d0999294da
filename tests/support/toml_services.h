#pragma once
// TOML service definitions for integration tests: a [services.NAME] table running a shell
// script, and the main file that holds them.

#include <string>

#include "support/services.h"

namespace svinit::test {

// A [services.NAME] table whose command is `sh -c SCRIPT` (the script usually reports on
// the event FIFO), followed by `extra` (more keys or tables of the service).
inline std::string toml_service(const std::string& name, const std::string& script,
                                const std::string& extra = {}) {
    return "[services." + name + "]\ncommand = [\"/bin/sh\", \"-c\", '''" + script + "''']\n" +
           extra + "\n";
}

// Writes `text` as DIR/svinit.toml of the supervision's directory; returns its path.
inline std::string write_main_config(Supervision& s, const std::string& text) {
    const std::string path = s.dir() + "/svinit.toml";
    write_file(path, text);
    return path;
}

}  // namespace svinit::test
