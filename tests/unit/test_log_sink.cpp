// core::LogSink: svinit's log output never blocks, whatever the reader does. With a pipe
// nobody reads, logging returns at once, keeps at most its bound, and counts what it
// drops; once the reader drains, the queue comes out from the loop, in order, followed by
// one line saying how many lines were dropped. The shared fd itself stays blocking.

#include <fcntl.h>
#include <signal.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/log_sink.h"
#include "core/unique_fd.h"
#include "fakes/fake_loop.h"

using namespace svinit;
using namespace svinit::test;

namespace {

struct Channel {
    core::UniqueFd reader;
    core::UniqueFd writer;  // blocking, as an inherited stderr is
};

Channel make_pipe_channel() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    return {core::UniqueFd(fds[0]), core::UniqueFd(fds[1])};
}

Channel make_socket_channel() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    return {core::UniqueFd(fds[0]), core::UniqueFd(fds[1])};
}

std::shared_ptr<spdlog::logger> logger_on(const std::shared_ptr<core::LogSink>& sink) {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("svinit: %v"));
    return std::make_shared<spdlog::logger>("test", sink);
}

// Reads what is there now, without blocking.
std::string read_available(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::fcntl(fd, F_SETFL, flags);
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) {
            lines.push_back(text.substr(start) + "<no newline>");
            break;
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::string numbered(int i) {
    return "line " + std::to_string(i) + " " + std::string(80, 'x');
}

}  // namespace

TEST_CASE("log sink: a reader that never reads costs lines, never a blocked write",
          "[log_sink]") {
    const bool socket = GENERATE(false, true);
    INFO((socket ? "socket" : "pipe"));
    Channel channel = socket ? make_socket_channel() : make_pipe_channel();
    constexpr std::size_t kLimit = 16 * 1024;
    auto sink = std::make_shared<core::LogSink>(channel.writer.get(), kLimit);
    auto logger = logger_on(sink);
    FakeLoop loop;
    sink->attach(loop);

    // Far more than the pipe and the queue hold together: a blocking write would hang here.
    constexpr int kLines = 20000;
    for (int i = 0; i < kLines; ++i) logger->info("{}", numbered(i));
    CHECK(sink->queued_bytes() <= kLimit);
    CHECK(sink->queued_lines() > 0);
    CHECK(sink->dropped() > 0);
    CHECK(loop.watch_count() == 1);  // a writable watch, only while something waits
    // The shared description is untouched: children that inherit it still block.
    CHECK((::fcntl(channel.writer.get(), F_GETFL) & O_NONBLOCK) == 0);

    // The reader catches up: the loop writes the queue out, then the count.
    const std::size_t dropped = sink->dropped();
    std::string received;
    for (int round = 0; round < 1000 && (sink->queued_lines() > 0 || round == 0); ++round) {
        received += read_available(channel.reader.get());
        loop.run_ready();
    }
    received += read_available(channel.reader.get());
    CHECK(sink->queued_lines() == 0);
    CHECK(sink->dropped() == 0);
    CHECK(loop.watch_count() == 0);

    auto lines = split_lines(received);
    REQUIRE(lines.size() >= 2);
    CHECK(lines.back() == "svinit: " + std::to_string(dropped) + " log lines dropped");
    lines.pop_back();
    // Whole lines only, in order, and every line either written or counted.
    int previous = -1;
    for (const auto& line : lines) {
        REQUIRE(line.starts_with("svinit: line "));
        const int number = std::stoi(line.substr(13));
        CHECK(number > previous);
        CHECK(line == "svinit: " + numbered(number));
        previous = number;
    }
    CHECK(lines.size() + dropped == static_cast<std::size_t>(kLines));

    // Once caught up, a line goes straight out again.
    logger->info("after");
    CHECK(read_available(channel.reader.get()) == "svinit: after\n");
    sink->detach();
}

TEST_CASE("log sink: without a loop it still never blocks, and writes on the next line",
          "[log_sink]") {
    Channel channel = make_pipe_channel();
    auto sink = std::make_shared<core::LogSink>(channel.writer.get(), 4096);
    auto logger = logger_on(sink);
    for (int i = 0; i < 5000; ++i) logger->info("{}", numbered(i));
    CHECK(sink->dropped() > 0);
    std::string received = read_available(channel.reader.get());
    logger->info("next");  // writes the queue, which now fits
    received += read_available(channel.reader.get());
    logger->info("last");  // the count went out behind the queue; this follows it
    received += read_available(channel.reader.get());
    auto lines = split_lines(received);
    REQUIRE(lines.size() >= 3);
    CHECK(lines[lines.size() - 2].ends_with(" log lines dropped"));
    CHECK(lines.back() == "svinit: last");
}

TEST_CASE("log sink: a reader that is gone is not a signal to anyone", "[log_sink]") {
    Channel channel = make_pipe_channel();
    auto sink = std::make_shared<core::LogSink>(channel.writer.get(), 4096);
    auto logger = logger_on(sink);
    channel.reader.reset();
    // SIGPIPE would kill the test; the sink blocks it for the write and takes it back.
    logger->info("nobody reads this");
    logger->info("nor this");
    sigset_t pending;
    REQUIRE(::sigpending(&pending) == 0);
    CHECK_FALSE(sigismember(&pending, SIGPIPE));
    CHECK(sink->dropped() == 2);
    CHECK(sink->queued_lines() == 0);
}

TEST_CASE("log sink: at the end, a bounded wait for the reader", "[log_sink]") {
    Channel channel = make_pipe_channel();
    auto sink = std::make_shared<core::LogSink>(channel.writer.get(), 1 << 20);
    auto logger = logger_on(sink);
    for (int i = 0; i < 2000; ++i) logger->info("{}", numbered(i));
    REQUIRE(sink->queued_lines() > 0);
    // Nobody reads: drain_for gives up after its limit instead of hanging.
    sink->drain_for(std::chrono::milliseconds(10));
    CHECK(sink->queued_lines() > 0);
}
