#include "support/svinit.h"

#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>

namespace svinit::test {
namespace {

using namespace std::chrono_literals;

// The start of every svinit run: a fresh PID namespace (svinit is its PID 1) with a private
// mount namespace, in which the hermetic helper hides the host's /etc/service and execs svinit.
std::vector<std::string> pid1_argv() {
    return {
        "unshare", "--pid", "--fork", "--mount-proc", helper("hermetic"), SVINIT_BIN_DIR "/svinit"};
}

// Why svinit cannot be run as PID 1 here, or "" when it can. Probed once per process.
const std::string& namespace_problem() {
    static const std::string problem = [] {
        std::vector<std::string> argv = pid1_argv();
        argv.back() = "true";
        Process probe = Process::spawn(argv);
        const int status = probe.wait(10s);
        if (status == 0) return std::string();
        std::string command;
        for (const std::string& arg : argv) command += (command.empty() ? "" : " ") + arg;
        return "`" + command + "` exited with " + std::to_string(status) + ": " +
               probe.stderr_text();
    }();
    return problem;
}

// Why io_uring is unusable here, or "": the kernel or a seccomp profile may refuse it.
const std::string& io_uring_problem() {
    static const std::string problem = [] {
        io_uring_params params{};
        const long fd = syscall(SYS_io_uring_setup, 1, &params);
        if (fd < 0) return "io_uring_setup: " + std::string(std::strerror(errno));
        close(static_cast<int>(fd));
        return std::string();
    }();
    return problem;
}

}  // namespace

void skip(const std::string& reason) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL(reason << "\n(CI=true: a test that cannot run is a failure, not a skip)");
    }
    std::fprintf(stderr, "skipping: %s\n", reason.c_str());
    std::exit(77);
}

std::string helper(std::string_view name) {
    return std::string(SVINIT_HELPER_DIR "/") + std::string(name);
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "svinit-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        FAIL("mkdtemp " << pattern << ": " << std::strerror(errno));
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

Harness::Harness(std::string backend) : backend_(std::move(backend)) {
    if (!namespace_problem().empty()) {
        skip("cannot run svinit as PID 1 here: " + namespace_problem());
    }
    if (backend_ == "io_uring" && !io_uring_problem().empty()) {
        skip("no io_uring: " + io_uring_problem());
    }
}

std::vector<std::string> Harness::argv_prefix() const {
    std::vector<std::string> argv;
    if (open_file_limit_ != 0) {
        const std::string limit = std::to_string(open_file_limit_);
        argv = {"prlimit", "--nofile=" + limit + ":" + limit, "--"};
    }
    const std::vector<std::string> pid1 = pid1_argv();
    argv.insert(argv.end(), pid1.begin(), pid1.end());
    return argv;
}

Process Harness::start(const std::vector<std::string>& options,
                       const std::vector<std::string>& command) const {
    std::vector<std::string> argv = argv_prefix();
    argv.push_back("--event-loop=" + backend_);
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
    return Process::spawn(argv,
                          {.stdin_dev_null = true, .cwd = dir(), .read_stderr = read_stderr_});
}

Process Harness::start_raw(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = argv_prefix();
    argv.insert(argv.end(), args.begin(), args.end());
    return Process::spawn(argv,
                          {.stdin_dev_null = true, .cwd = dir(), .read_stderr = read_stderr_});
}

void expect_line(Process& process, std::string_view expected, Millis timeout) {
    const std::optional<std::string> line = process.read_line(timeout);
    INFO("waited up to " << timeout.count() << " ms for a line on stdout; stderr so far:\n"
                         << process.stderr_text());
    REQUIRE(line.value_or("<no line: EOF or timed out>") == expected);
}

}  // namespace svinit::test
