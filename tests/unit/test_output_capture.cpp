// A service's output through OutputCapture and the shared stdout queue, on the fake loop with
// real pipes: every line arrives once and whole, a consumer that stops reading stops the
// reading (the service's writes block) instead of growing memory, drop mode counts.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "fakes/fake_loop.h"
#include "loop_fixtures.h"
#include "services/output_capture.h"
#include "services/shared_output.h"

using namespace svinit;
using namespace svinit::services;
using svinit::test::FakeLoop;

namespace {

void set_nonblocking(int fd) {
    REQUIRE(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

// Writes "LINE N\n" lines into fd until it would block or `count` are written; returns
// how many went in.
int write_lines(int fd, int first, int count) {
    int n = first;
    for (; n < first + count; ++n) {
        const std::string line = "line " + std::to_string(n) + "\n";
        const ssize_t written = ::write(fd, line.data(), line.size());
        if (written < 0) break;
        REQUIRE(written == static_cast<ssize_t>(line.size()));  // < PIPE_BUF: all or nothing
    }
    return n - first;
}

std::string read_all(int fd) {
    std::string out;
    char buffer[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
}

struct Setup {
    FakeLoop loop;
    test::Pipe out = test::make_pipe();  // svinit's stdout; the test is its consumer
    LogSettings settings;
    std::unique_ptr<SharedOutput> shared;
    std::vector<LogLine> seen;
    std::unique_ptr<OutputCapture> capture;

    explicit Setup(FullPolicy policy) {
        settings.when_full = policy;
        settings.stdout_buffer = 8 * 1024;
        settings.ring_bytes = 4 * 1024;
        shared = std::make_unique<SharedOutput>(loop, out.write_end.get(), settings.stdout_buffer);
        auto made = OutputCapture::create(loop, "svc", OutputMode::Prefix, settings, shared.get(),
                                          [this](const LogLine& line) { seen.push_back(line); });
        REQUIRE(made);
        capture = std::move(*made);
        set_nonblocking(capture->stdout_fd().get());
    }
};

}  // namespace

TEST_CASE("a stalled stdout consumer stops the reading; nothing is lost", "[log][capture]") {
    Setup s(FullPolicy::Block);
    // Fill everything: the service's pipe, svinit's queue and the stdout pipe.
    int written = 0;
    for (int round = 0; round < 50; ++round) {
        written += write_lines(s.capture->stdout_fd().get(), written, 100000);
        s.loop.run_ready();
    }
    // The service's writes block now (its pipe is full), and svinit's queue stays bounded.
    CHECK(write_lines(s.capture->stdout_fd().get(), written, 1) == 0);
    CHECK(s.shared->queued() <= s.settings.stdout_buffer + 2 * kCaptureReadBytes);
    CHECK(s.capture->last(1000).size() * LogRing::kLineOverhead <= s.settings.ring_bytes);

    // The consumer reads again: everything arrives, in order, once.
    std::string received;
    std::size_t newlines = 0;
    for (int round = 0; round < 100000 && newlines < static_cast<std::size_t>(written); ++round) {
        const std::string chunk = read_all(s.out.read_end.get());
        newlines += static_cast<std::size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
        received += chunk;
        s.loop.run_ready();
    }
    std::size_t count = 0;
    std::size_t at = 0;
    while (at < received.size()) {
        const std::size_t nl = received.find('\n', at);
        REQUIRE(nl != std::string::npos);
        REQUIRE(received.substr(at, nl - at) == "svc | line " + std::to_string(count));
        ++count;
        at = nl + 1;
    }
    CHECK(count == static_cast<std::size_t>(written));
    CHECK(s.seen.size() == count);
}

TEST_CASE("with the drop policy a stalled consumer costs lines, counted, never blocking",
          "[log][capture]") {
    Setup s(FullPolicy::Drop);
    int written = 0;
    for (int round = 0; round < 20; ++round) {
        written += write_lines(s.capture->stdout_fd().get(), written, 2000);
        s.loop.run_ready();
    }
    // svinit read every line (the ring and followers saw them), dropping what did not fit.
    CHECK(s.seen.size() == static_cast<std::size_t>(written));
    CHECK(s.capture->dropped() > 0);
    CHECK(s.shared->queued() <= s.settings.stdout_buffer + 2 * kCaptureReadBytes);
    CHECK(s.capture->last(1).front().text == "line " + std::to_string(written - 1));
}

TEST_CASE("a partial last line is flushed when the capture goes", "[log][capture]") {
    Setup s(FullPolicy::Block);
    REQUIRE(::write(s.capture->stdout_fd().get(), "a\nno newline", 12) == 12);
    s.loop.run_ready();
    CHECK(s.seen.size() == 1);
    s.capture.reset();
    REQUIRE(s.seen.size() == 2);
    CHECK(s.seen[1].text == "no newline");
    CHECK(read_all(s.out.read_end.get()) == "svc | a\nsvc | no newline\n");
}
