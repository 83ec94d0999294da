#include "support/sandbox.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace svinit::test {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kBusybox = "/bin/busybox";

const char* const kApplets[] = {"sh",   "cat",      "echo",  "hostname", "ls",    "readlink",
                                "grep", "ifconfig", "id",    "seq",      "sleep", "test",
                                "wc",   "head",     "tr",    "setsid",   "mkdir", "touch",
                                "kill", "true",     "false", "ps",       "tail",  "unshare"};

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

void build_root(const std::string& root) {
    for (const char* dir : {"bin", "etc", "proc", "dev", "tmp", "data", "root"}) {
        fs::create_directories(fs::path(root) / dir);
    }
    fs::copy_file(kBusybox, root + "/bin/busybox");
    for (const char* applet : kApplets)
        fs::create_symlink("busybox", fs::path(root) / "bin" / applet);
    fs::copy_file(helper("sandbox_probe"), root + "/bin/sandbox_probe");
    write_file(root + "/etc/passwd",
               "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n");
    write_file(root + "/etc/group", "root:x:0:\nnogroup:x:65534:\n");
    ::chmod((root + "/tmp").c_str(), 01777);
}

const std::string& world_problem() {
    static const std::string problem = [] {
        if (::geteuid() != 0) return std::string("the sandbox tests run as root");
        if (::access(kBusybox, X_OK) != 0) {
            return std::string("no /bin/busybox (apt-get install busybox-static)");
        }
        return std::string();
    }();
    return problem;
}

}  // namespace

SandboxWorld::SandboxWorld(std::string backend) : backend_(std::move(backend)) {
    if (!world_problem().empty()) skip(world_problem());
    // Harness checks namespaces and io_uring for this backend.
    Harness probe(backend_);
    ::chmod(dir().c_str(), 0755);
    build_root(root());
}

std::string SandboxWorld::write(const std::string& name, const std::string& text) const {
    const std::string path = dir() + "/" + name;
    write_file(path, text);
    return path;
}

Process SandboxWorld::start(const std::string& sandbox_file, const std::vector<std::string>& argv,
                            const std::vector<std::string>& options, bool as_nobody) const {
    std::vector<std::string> command;
    if (as_nobody) {
        command = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
    }
    command.insert(command.end(), {SVINIT_BIN_DIR "/svinit", "run", "--event-loop=" + backend_,
                                   "--sandbox", sandbox_file});
    command.insert(command.end(), options.begin(), options.end());
    command.push_back("--");
    command.insert(command.end(), argv.begin(), argv.end());
    return Process::spawn(command, {.stdin_dev_null = true, .cwd = dir()});
}

Outcome SandboxWorld::run(const std::string& sandbox_file, const std::vector<std::string>& argv,
                          const std::vector<std::string>& options, bool as_nobody) const {
    Process process = start(sandbox_file, argv, options, as_nobody);
    Outcome outcome;
    while (auto line = process.read_line(30s)) outcome.out += *line + "\n";
    outcome.status = process.wait(30s);
    outcome.err = process.stderr_text();
    return outcome;
}

std::string basic_sandbox(const std::string& extra) {
    return "namespaces = [\"pid\", \"mount\", \"uts\", \"ipc\", \"net\", \"cgroup\"]\n"
           "root = \"root\"\n"
           "hostname = \"job\"\n" +
           extra;
}

}  // namespace svinit::test
