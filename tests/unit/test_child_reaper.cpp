// core::ChildReaper's fd budget: a running child costs one fd, its pidfd, even in a burst
// of spawns before any exec; a failed exec is still reported with its reason.

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/child_reaper.h"
#include "fakes/fake_loop.h"

using namespace svinit;
using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// This process's open fds, by number, with what they are ("pipe:[123]", ...).
std::set<std::pair<int, std::string>> open_fds() {
    std::set<std::pair<int, std::string>> out;
    DIR* dir = ::opendir("/proc/self/fd");
    REQUIRE(dir != nullptr);
    const int own = ::dirfd(dir);
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        const int fd = std::stoi(entry->d_name);
        if (fd == own) continue;
        char target[256] = {};
        const std::string link = std::string("/proc/self/fd/") + entry->d_name;
        const ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
        out.emplace(fd, n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "");
    }
    ::closedir(dir);
    return out;
}

// The fds opened since `before`.
std::set<std::pair<int, std::string>> opened_since(
    const std::set<std::pair<int, std::string>>& before) {
    std::set<std::pair<int, std::string>> out;
    for (const auto& fd : open_fds()) {
        if (!before.contains(fd)) out.insert(fd);
    }
    return out;
}

std::optional<int> find_fd(const std::set<std::pair<int, std::string>>& fds,
                           std::string_view kind) {
    for (const auto& [fd, what] : fds) {
        if (what.find(kind) != std::string::npos) return fd;
    }
    return std::nullopt;
}

// Blocks (bounded) until fd is readable: the event itself, not a sleep.
void wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10000) == 1);
}

// The first spawn of a process opens its spawn slots (core/spawn_slots.h), a fixed few fds
// kept for the process's life: spawn once before counting what each child costs.
void open_spawn_slots(core::ChildReaper& reaper, FakeLoop& loop) {
    core::SpawnOptions options;
    options.path = "/bin/true";
    options.argv = {"true"};
    bool exited = false;
    auto child = reaper.spawn(options, [&](const core::ChildExit&) { exited = true; });
    REQUIRE(child);
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(child->id().pid), &info,
                     WEXITED | WNOWAIT) == 0);
    reaper.reap_all();
    loop.run_ready();
    REQUIRE(exited);
}

}  // namespace

TEST_CASE("child reaper: a running child holds its pidfd only", "[child_reaper]") {
    FakeLoop loop;
    core::ChildReaper reaper(loop);
    REQUIRE(reaper.reports() != nullptr);  // the one failure pipe all children share
    open_spawn_slots(reaper, loop);
    const auto before = open_fds();

    core::SpawnOptions options;
    options.path = "/bin/sleep";
    options.argv = {"sleep", "1000"};
    constexpr int kChildren = 10;
    std::vector<core::TrackedChild> children;
    int exits = 0;
    for (int i = 0; i < kChildren; ++i) {
        auto child = reaper.spawn(options, [&](const core::ChildExit& e) {
            CHECK(e.status == core::ExitStatus::signaled(SIGKILL));
            CHECK_FALSE(e.spawn_failure);
            ++exits;
        });
        REQUIRE(child);
        children.push_back(std::move(*child));
    }
    // At once, before any exec: one fd per child, and it is its pidfd.
    const auto opened = opened_since(before);
    CHECK(opened.size() == static_cast<std::size_t>(kChildren));
    for (const auto& [fd, what] : opened) CHECK(what.find("pidfd") != std::string::npos);

    for (const auto& child : children) REQUIRE(reaper.signal(child.id(), SIGKILL));
    for (const auto& [fd, what] : opened) wait_readable(fd);
    loop.run_ready();
    CHECK(exits == kChildren);
    CHECK(opened_since(before).empty());
}

TEST_CASE("child reaper: a failed exec is reported with its reason",
          "[child_reaper]") {
    FakeLoop loop;
    core::ChildReaper reaper(loop);
    REQUIRE(reaper.reports() != nullptr);
    open_spawn_slots(reaper, loop);
    const auto before = open_fds();

    core::SpawnOptions options;
    options.path = "/nonexistent/svinit-test";
    options.argv = {"svinit-test"};
    std::optional<core::ChildExit> exit;
    auto child = reaper.spawn(options, [&](const core::ChildExit& e) { exit = e; });
    REQUIRE(child);
    auto pidfd = find_fd(opened_since(before), "pidfd");
    REQUIRE(pidfd);
    wait_readable(*pidfd);  // exited: its report was written before
    loop.run_ready();
    REQUIRE(exit);
    REQUIRE(exit->spawn_failure);
    CHECK(exit->spawn_failure->error == ENOENT);
    CHECK(exit->status.shell_code() == 127);
    CHECK(opened_since(before).empty());
}
