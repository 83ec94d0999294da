#pragma once
// The sandbox tests' world: a root filesystem built in a temp dir from Debian's
// busybox-static (and the static sandbox_probe helper), a TOML file of [sandbox] keys
// beside it, and `svinit run --sandbox FILE -- CMD` run on one loop backend, as root or as
// nobody.

#include <string>
#include <vector>

#include "support/process.h"
#include "support/svinit.h"

namespace svinit::test {

struct Outcome {
    int status = -1;
    std::string out;  // all of stdout
    std::string err;  // all of stderr
};

class SandboxWorld {
public:
    // Skips (fails under CI=true) without busybox-static, root, or namespaces.
    explicit SandboxWorld(std::string backend);

    const std::string& backend() const { return backend_; }
    const std::string& dir() const { return dir_.path(); }  // mode 0755
    std::string root() const { return dir() + "/root"; }    // the busybox root

    // Writes dir()/NAME and returns its path.
    std::string write(const std::string& name, const std::string& text) const;

    // svinit run --event-loop=BACKEND --sandbox FILE [options] -- argv
    Process start(const std::string& sandbox_file, const std::vector<std::string>& argv,
                  const std::vector<std::string>& options = {}, bool as_nobody = false) const;
    // The same, waited for, with all its output.
    Outcome run(const std::string& sandbox_file, const std::vector<std::string>& argv,
                const std::vector<std::string>& options = {}, bool as_nobody = false) const;

private:
    std::string backend_;
    TempDir dir_;
};

// A [sandbox] file's usual start: every namespace but user, the busybox root, hostname job.
std::string basic_sandbox(const std::string& extra = "");

}  // namespace svinit::test
