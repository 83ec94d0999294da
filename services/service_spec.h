#pragma once
// A service as svinit supervises it, whatever it was declared in (a runit service
// directory today; TOML later). Plain values made by config/: services/ never reads
// declarations itself.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace svinit::services {

// One supervised program: a service's `run` or its logger's `log/run`.
struct ProcessSpec {
    std::filesystem::path dir;                    // working directory: NAME/ or NAME/log/
    std::filesystem::path run;                    // DIR/run, executable
    std::optional<std::filesystem::path> finish;  // DIR/finish when executable
    bool normally_down = false;                   // DIR/down exists

    bool operator==(const ProcessSpec&) const = default;
};

struct ServiceSpec {
    std::string name;                // the directory entry's name, e.g. "web"
    ProcessSpec main;
    std::optional<ProcessSpec> log;  // NAME/log/run: reads main's stdout through a pipe

    bool operator==(const ServiceSpec&) const = default;
};

// A problem found while reading declarations: named file, and line where there is one.
struct Diagnostic {
    std::filesystem::path file;
    int line = 0;  // 0 when the problem is not on a line
    std::string message;

    // "/etc/service/web/run: not executable" or "FILE:LINE: message"
    std::string describe() const;
};

}  // namespace svinit::services
