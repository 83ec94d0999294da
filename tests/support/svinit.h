#pragma once
// Running svinit the way every integration test does: as PID 1 of a fresh PID namespace
// (`unshare --pid --fork --mount-proc`), on one event loop backend, in a temp dir of the
// test's own so that `ctest -j2` is safe. The machine's /etc/service, which svinit would
// supervise by default, is hidden from it (helpers/hermetic.c), so tests see only their own
// processes.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.h"

namespace svinit::test {

// Every integration test runs under each: GENERATE(from_range(kBackends)).
inline const std::vector<std::string> kBackends{"io_uring", "epoll"};

// A test that cannot run here exits 77 (SKIP_RETURN_CODE), unless CI=true says it must run:
// then it FAILs with the reason.
void skip(const std::string& reason);

// The path of a program built from tests/helpers.
std::string helper(std::string_view name);

// A fresh directory from mkdtemp, removed with its contents.
class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// One test case's runs of svinit under one backend. Constructing it checks that the test can
// run here at all: without PID and mount namespaces (or io_uring, for that backend) the test
// exits 77 to be reported skipped, except under CI=true, where that is a failure.
class Harness {
public:
    explicit Harness(std::string backend);

    const std::string& backend() const { return backend_; }

    // svinit started from now on gets a stderr nobody reads (see SpawnOptions::read_stderr).
    void keep_stderr_unread() { read_stderr_ = false; }
    // svinit started from now on runs under this open file limit, soft and hard (prlimit).
    void limit_open_files(unsigned limit) { open_file_limit_ = limit; }
    const std::string& dir() const { return dir_.path(); }

    // unshare ... svinit --event-loop=BACKEND OPTIONS... -- COMMAND..., in dir(), stdin
    // /dev/null, stdout and stderr captured.
    Process start(const std::vector<std::string>& options,
                  const std::vector<std::string>& command) const;

    // unshare ... svinit ARGS..., exactly as given (for option parsing and usage errors).
    Process start_raw(const std::vector<std::string>& args) const;

private:
    std::vector<std::string> argv_prefix() const;

    std::string backend_;
    TempDir dir_;
    bool read_stderr_ = true;
    unsigned open_file_limit_ = 0;  // 0: the test's own
};

// REQUIREs that the next line on the process's stdout is `expected`; a failure shows what
// came instead (or that nothing did) and svinit's stderr so far.
void expect_line(Process& process, std::string_view expected,
                 Millis timeout = std::chrono::seconds(10));

}  // namespace svinit::test
