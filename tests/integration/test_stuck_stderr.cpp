// PID 1 must never block on its own log output. Here svinit's stderr is a one-page pipe
// that nobody reads (a stuck log collector) while a service crash-loops, logging a warning
// at every crash: svinit goes on restarting it, answers svctl, and stops on SIGTERM with
// the right exit code. Once the reader catches up, what was queued comes out.

#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// Reads lines from fd until one contains `wanted`; false when none does within timeout.
bool read_until(int fd, std::string_view wanted, Millis timeout, std::string& seen) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string buffer;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        char chunk[4096];
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
        for (auto end = buffer.find('\n'); end != std::string::npos; end = buffer.find('\n')) {
            const std::string line = buffer.substr(0, end);
            buffer.erase(0, end + 1);
            seen = line;
            if (line.find(wanted) != std::string::npos) return true;
        }
    }
    return false;
}

}  // namespace

TEST_CASE("svinit supervises on while nobody reads its stderr", "[pid1][log]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    harness.keep_stderr_unread();
    Supervision supervision(harness);

    // Fails at once, every time, and says so on the event FIFO; svinit logs a warning for
    // each failure: a few dozen of them fill a one-page pipe.
    supervision.add("crash", ServiceFiles(shell_script("echo crash > '" +
                                                       supervision.events().path() + "'\nexit 1")));
    supervision.start({"--backoff-min", "0", "--backoff-max", "0"});

    // With a blocking write svinit would stop restarting it after some forty crashes.
    constexpr int kCrashes = 300;
    for (int i = 0; i < kCrashes; ++i) REQUIRE(supervision.next_event() == "crash");
    CHECK(supervision.status("crash")["state"].is_string());

    // The reader catches up: the lines svinit queued come out from its loop.
    std::string last;
    CHECK(read_until(supervision.svinit().unread_stderr(),
                     "(attempt " + std::to_string(kCrashes) + ")", 20s, last));
    INFO("last line read: " << last);

    // Stuck again (nobody reads from here on), SIGTERM still stops everything, exit 0.
    CHECK(supervision.stop() == 0);
}
