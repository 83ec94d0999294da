// core::Inotify and config::ServiceDirWatcher on real temporary directories. The
// watcher tests run the real event loop: every step is taken from on_change, once a
// rescan shows that the previous step was seen, so nothing waits on a sleep; a guard
// timer turns a missed event into a failure instead of a hang. Callbacks use CHECK: the
// loop catches exceptions.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/dir_watcher.h"
#include "config/runit_dir.h"
#include "core/event_loop.h"
#include "core/inotify.h"
#include "fakes/fake_loop.h"
#include "loop_fixtures.h"
#include "temp_tree.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using svinit::config::ScanResult;
using svinit::config::ServiceDirWatcher;
using svinit::config::WatcherOptions;
using svinit::core::EventLoop;
using svinit::core::Inotify;
using svinit::core::InotifyEvent;
using svinit::core::ParseStatus;
using namespace svinit::test;

namespace {

// --- inotify records, as the kernel lays them out ---------------------------------

void append_record(std::vector<std::byte>& buffer, int wd, std::uint32_t mask,
                   std::string_view name, std::uint32_t len) {
    inotify_event header{};
    header.wd = wd;
    header.mask = mask;
    header.len = len;
    const std::size_t at = buffer.size();
    buffer.resize(at + sizeof header + len);
    std::memcpy(buffer.data() + at, &header, sizeof header);
    std::memcpy(buffer.data() + at + sizeof header, name.data(), name.size());
}

std::unique_ptr<ServiceDirWatcher> make_watcher(EventLoop& loop, std::vector<fs::path> dirs,
                                                std::function<void()> on_change,
                                                WatcherOptions options = {}) {
    auto watcher = ServiceDirWatcher::create(loop, std::move(dirs), std::move(on_change), options);
    INFO((watcher ? std::string() : watcher.error().message()));
    REQUIRE(watcher);
    return std::move(*watcher);
}

ScanResult scan(const fs::path& dir) {
    return svinit::config::scan_service_dirs(std::vector{dir});
}

bool has_diagnostic(const ScanResult& result, const fs::path& file) {
    for (const auto& diag : result.diagnostics) {
        if (diag.file == file) return true;
    }
    return false;
}

}  // namespace

// --- core::Inotify --------------------------------------------------------------------

TEST_CASE("inotify records are parsed from any buffer, whatever its alignment",
          "[config][inotify]") {
    std::vector<std::byte> buffer;
    append_record(buffer, 1, IN_CREATE, "run", 16);   // NUL-padded, as the kernel does
    append_record(buffer, 2, IN_DELETE_SELF, "", 0);  // the directory itself
    append_record(buffer, 3, IN_ATTRIB, "down", 4);   // a name filling len: no NUL
    append_record(buffer, -1, IN_Q_OVERFLOW, "", 0);

    const std::size_t shift = GENERATE(0u, 1u, 3u);
    std::vector<std::byte> shifted(shift);
    shifted.insert(shifted.end(), buffer.begin(), buffer.end());
    std::vector<InotifyEvent> out;
    CHECK(svinit::core::parse_inotify_events(std::span(shifted).subspan(shift), 100, out) ==
          ParseStatus::Complete);
    REQUIRE(out.size() == 4);
    CHECK(out[0] == InotifyEvent{1, IN_CREATE, 0, "run"});
    CHECK(out[1] == InotifyEvent{2, IN_DELETE_SELF, 0, ""});
    CHECK(out[2] == InotifyEvent{3, IN_ATTRIB, 0, "down"});
    CHECK(out[3].wd == -1);
    CHECK(out[3].overflow());
    CHECK_FALSE(out[0].overflow());
}

TEST_CASE("the inotify parser stops at its limit and at a truncated record", "[config][inotify]") {
    std::vector<std::byte> buffer;
    append_record(buffer, 1, IN_CREATE, "a", 16);
    append_record(buffer, 1, IN_CREATE, "b", 16);
    append_record(buffer, 1, IN_CREATE, "c", 16);

    SECTION("limit") {
        std::vector<InotifyEvent> out;
        CHECK(svinit::core::parse_inotify_events(buffer, 2, out) == ParseStatus::LimitReached);
        CHECK(out.size() == 2);
    }
    SECTION("a name running past the end") {
        std::vector<InotifyEvent> out;
        CHECK(svinit::core::parse_inotify_events(std::span(buffer).first(buffer.size() - 1), 100,
                                                 out) == ParseStatus::Malformed);
        CHECK(out.size() == 2);
    }
    SECTION("half a header") {
        std::vector<InotifyEvent> out;
        CHECK(svinit::core::parse_inotify_events(std::span(buffer).first(32 + 8), 100, out) ==
              ParseStatus::Malformed);
        CHECK(out.size() == 1);
    }
}

TEST_CASE("Inotify reports what happens in a watched directory", "[config][inotify]") {
    TempDir tmp("svinit-watch");
    auto inotify = Inotify::open();
    REQUIRE(inotify);
    CHECK((::fcntl(inotify->fd(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(inotify->fd(), F_GETFL) & O_NONBLOCK) != 0);

    const auto wd = inotify->add_watch(tmp.path, IN_CREATE | IN_DELETE);
    REQUIRE(wd);
    auto nothing = inotify->read_events();
    REQUIRE(nothing);
    CHECK(nothing->empty());

    write_file(tmp.path / "run", kPlain);
    fs::remove(tmp.path / "run");
    auto events = inotify->read_events();
    REQUIRE(events);
    REQUIRE(events->size() == 2);
    CHECK((*events)[0] == InotifyEvent{*wd, IN_CREATE, 0, "run"});
    CHECK((*events)[1] == InotifyEvent{*wd, IN_DELETE, 0, "run"});

    CHECK(inotify->remove_watch(*wd));
    CHECK_FALSE(inotify->remove_watch(*wd));
    const auto missing = inotify->add_watch(tmp.path / "missing", IN_CREATE);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ENOENT);
    CHECK_THAT(missing.error().message(), Catch::Contains((tmp.path / "missing").string()));
}

TEST_CASE("Inotify read_events is bounded and marks what it dropped as an overflow",
          "[config][inotify]") {
    TempDir tmp("svinit-watch");
    auto inotify = Inotify::open();
    REQUIRE(inotify);
    REQUIRE(inotify->add_watch(tmp.path, IN_CREATE));
    for (int i = 0; i < 10; ++i) write_file(tmp.path / std::to_string(i), kPlain);

    auto events = inotify->read_events(3);
    REQUIRE(events);
    REQUIRE(events->size() == 3);
    CHECK((*events)[0].name == "0");
    CHECK(events->back().overflow());
    CHECK(events->back().wd == -1);
}

// --- config::ServiceDirWatcher ---------------------------------------------------------

TEST_CASE("a new service is noticed as its directory and files appear", "[config]") {
    TempDir tmp("svinit-watch");
    const fs::path web = tmp.path / "web";
    BACKEND_UNDER_TEST();
    enum class Step { Mkdir, Run, Chmod, LogDir, LogRun, Down, Done };
    Step step = Step::Mkdir;
    int calls = 0;
    auto watcher = make_watcher(*loop, {tmp.path}, [&] {
        ++calls;
        const ScanResult result = scan(tmp.path);
        const bool found = result.services.size() == 1;
        // Each step is taken once the rescan shows the previous one.
        if (step == Step::Mkdir && fs::is_directory(web)) {
            write_file(web / "run", kPlain);
            step = Step::Run;
        } else if (step == Step::Run && has_diagnostic(result, web / "run")) {
            fs::permissions(web / "run", kExecutable);
            step = Step::Chmod;
        } else if (step == Step::Chmod && found) {
            fs::create_directory(web / "log");
            step = Step::LogDir;
        } else if (step == Step::LogDir && has_diagnostic(result, web / "log")) {
            write_file(web / "log" / "run", kExecutable);
            step = Step::LogRun;
        } else if (step == Step::LogRun && found && result.services[0].log.has_value()) {
            write_file(web / "down", kPlain, "");
            step = Step::Down;
        } else if (step == Step::Down && found && result.services[0].main.normally_down) {
            step = Step::Done;
            loop->stop();
        }
    });
    fs::create_directory(web);
    run_guarded(*loop, 10s);
    CHECK(step == Step::Done);
    CHECK(calls >= 6);
}

TEST_CASE("a removed service is noticed", "[config]") {
    TempDir tmp("svinit-watch");
    make_service(tmp.path / "web");
    make_service(tmp.path / "db");
    BACKEND_UNDER_TEST();
    auto watcher = make_watcher(*loop, {tmp.path}, [&] {
        if (scan(tmp.path).services.size() == 1) loop->stop();
    });
    REQUIRE(scan(tmp.path).services.size() == 2);
    fs::remove_all(tmp.path / "web");
    run_guarded(*loop, 10s);
}

TEST_CASE("down appearing and going inside a service is noticed", "[config]") {
    TempDir tmp("svinit-watch");
    const fs::path web = tmp.path / "web";
    make_service(web);
    BACKEND_UNDER_TEST();
    bool was_down = false;
    auto watcher = make_watcher(*loop, {tmp.path}, [&] {
        const ScanResult result = scan(tmp.path);
        REQUIRE(result.services.size() == 1);
        if (!was_down && result.services[0].main.normally_down) {
            was_down = true;
            fs::remove(web / "down");
        } else if (was_down && !result.services[0].main.normally_down) {
            loop->stop();
        }
    });
    write_file(web / "down", kPlain, "");
    run_guarded(*loop, 10s);
    CHECK(was_down);
}

TEST_CASE("a burst of new services gives one rescan", "[config]") {
    TempDir tmp("svinit-watch");
    // On the fake loop the burst takes exactly the (virtual) time written here, however
    // loaded the machine is: 10 services a millisecond for 10 ms, each event pushing the
    // debounce back, then one rescan when the debounce has passed since the last one.
    svinit::test::FakeLoop loop;
    WatcherOptions options;
    options.debounce = 200ms;
    options.max_delay = 5s;
    int calls = 0;
    auto watcher = make_watcher(loop, {tmp.path}, [&] { ++calls; }, options);
    for (int created = 0; created < 100;) {
        for (int i = 0; i < 10; ++i, ++created) {
            const fs::path dir = tmp.path / ("svc" + std::to_string(created));
            make_service(dir);
            write_file(dir / "log" / "run", kExecutable);
        }
        loop.advance(1ms);
    }
    CHECK(calls == 0);
    // The last ten were seen at 9 ms (the fake loop reads fds before it moves the clock),
    // so the rescan is due at 209 ms; the clock is at 10 ms now.
    loop.advance(198ms);
    CHECK(calls == 0);
    loop.advance(1ms);
    CHECK(calls == 1);
    CHECK(scan(tmp.path).services.size() == 100);
    loop.advance(10s);  // nothing left over to rescan for
    CHECK(calls == 1);
    CHECK(watcher->watch_count() == 201);
}

TEST_CASE("changes svinit or a service makes next to the service files are ignored", "[config]") {
    TempDir tmp("svinit-watch");
    const fs::path web = tmp.path / "web";
    make_service(web);
    fs::create_directories(web / "log");
    make_service(web / "log");
    BACKEND_UNDER_TEST();
    int calls = 0;
    bool expect_change = false;
    WatcherOptions quick;
    quick.debounce = 1ms;
    auto watcher = make_watcher(
        *loop, {tmp.path},
        [&] {
            ++calls;
            if (expect_change) loop->stop();
        },
        quick);

    write_file(web / "supervise" / "status", kPlain, "x");
    write_file(web / "notes.txt", kPlain, "x");
    write_file(web / "log" / "current", kPlain, "x");
    write_file(tmp.path / ".web.tmp", kPlain, "x");
    // A timer bounds how long "nothing happens" is watched; it synchronises nothing.
    auto stopper = loop->add_timer(200ms, false, [&] { loop->stop(); });
    REQUIRE(stopper);
    run_guarded(*loop, 10s);
    CHECK(calls == 0);

    // ... while a service file next to them is not.
    expect_change = true;
    write_file(web / "log" / "down", kPlain, "");
    run_guarded(*loop, 10s);
    CHECK(calls == 1);
}

TEST_CASE("a service directory created later, even its parents, is noticed", "[config]") {
    TempDir tmp("svinit-watch");
    const fs::path dir = tmp.path / "etc" / "service";
    BACKEND_UNDER_TEST();
    auto watcher = make_watcher(*loop, {dir}, [&] {
        if (!fs::exists(dir)) {
            fs::create_directory(dir);
        } else if (scan(dir).services.empty()) {
            make_service(dir / "web");
        } else {
            loop->stop();
        }
    });
    CHECK(watcher->diagnostics().empty());
    fs::create_directory(tmp.path / "etc");
    run_guarded(*loop, 10s);
}

TEST_CASE("a service directory removed and made again is watched again", "[config]") {
    TempDir tmp("svinit-watch");
    const fs::path dir = tmp.path / "service";
    make_service(dir / "web");
    BACKEND_UNDER_TEST();
    enum class Step { Removed, Recreated, Done };
    Step step = Step::Removed;
    auto watcher = make_watcher(*loop, {dir}, [&] {
        if (step == Step::Removed && !fs::exists(dir)) {
            fs::create_directory(dir);
            step = Step::Recreated;
        } else if (step == Step::Recreated && fs::exists(dir)) {
            if (scan(dir).services.empty()) {
                make_service(dir / "db");
            } else {
                step = Step::Done;
                loop->stop();
            }
        }
    });
    fs::remove_all(dir);
    run_guarded(*loop, 10s);
    CHECK(step == Step::Done);
}

TEST_CASE("a kernel queue overflow makes the watcher rescan", "[config]") {
    long max_queued = 0;
    std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued;
    if (max_queued <= 0 || max_queued > 200'000) {
        WARN("skipped: fs.inotify.max_queued_events is " << max_queued);
        return;
    }
    TempDir tmp("svinit-watch");
    const fs::path web = tmp.path / "web";
    make_service(web);
    fs::create_directories(web / "state");
    auto loop = make_backend("epoll");
    REQUIRE(loop);
    int calls = 0;
    auto watcher = make_watcher(*loop, {tmp.path}, [&] {
        ++calls;
        loop->stop();
    });
    // Names the watcher ignores: only the overflow can call on_change. Each file is two
    // events (IN_CREATE, IN_CLOSE_WRITE).
    for (long i = 0; i <= max_queued / 2 + 16; ++i) {
        const int fd = ::open((web / ("junk" + std::to_string(i))).c_str(),
                              O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0) FAIL("open: " << std::strerror(errno));
        ::close(fd);
    }
    run_guarded(*loop, 10s);
    CHECK(calls == 1);
}
