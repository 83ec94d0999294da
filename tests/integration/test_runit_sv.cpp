// runit's own sv (Debian's /usr/bin/sv, unmodified) against svinit: svinit keeps each
// service's supervise/ directory as runsv does, so sv reads its status and commands it
// through the control FIFO. Synchronised on events: sv -w (which reads the status files),
// svctl wait, the services' event FIFO, and inotify on supervise/ -- never on sleeps.

#include <poll.h>
#include <sys/inotify.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>

#include "support/regex.h"
#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kRunitSv = "/usr/bin/sv";

// Debian's runit provides /usr/bin/sv; without it the test is skipped, except under CI=true
// (scripts/install-deps.sh installs it there).
void require_runit_sv() {
    if (::access(kRunitSv, X_OK) == 0) return;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL(kRunitSv << " is missing (install Debian's runit)\n"
                      << "(CI=true: a test that cannot run is a failure, not a skip)");
    }
    std::fprintf(stderr, "skipping: %s is missing (install Debian's runit)\n", kRunitSv);
    std::exit(77);
}

CommandResult runit_sv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kRunitSv};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 30s);
}

// supervise/status decoded: what sv decides on.
struct RunitStatus {
    pid_t pid = 0;
    int state = -1;  // 0 down, 1 run, 2 finish
    char want = 0;
    bool paused = false;
    bool got_term = false;
};

std::ostream& operator<<(std::ostream& out, const RunitStatus& s) {
    return out << "{pid " << s.pid << ", state " << s.state << ", want '" << s.want << "', paused "
               << s.paused << ", got TERM " << s.got_term << "}";
}

std::optional<RunitStatus> read_status(const std::string& supervise) {
    std::ifstream file(supervise + "/status", std::ios::binary);
    unsigned char bytes[20];
    if (!file.read(reinterpret_cast<char*>(bytes), sizeof bytes)) return std::nullopt;
    RunitStatus s;
    std::uint32_t pid = 0;
    for (int i = 3; i >= 0; --i) pid = (pid << 8) | bytes[12 + i];  // little-endian
    s.pid = static_cast<pid_t>(pid);
    s.paused = bytes[16] != 0;
    s.want = static_cast<char>(bytes[17]);
    s.got_term = bytes[18] != 0;
    s.state = bytes[19];
    return s;
}

// Waits until supervise/status satisfies `wanted`, woken by inotify when svinit renames a
// new status into place. REQUIREs it within timeout.
RunitStatus wait_status(const std::string& supervise,
                        const std::function<bool(const RunitStatus&)>& wanted,
                        Millis timeout = 10s) {
    UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    REQUIRE(inotify.valid());
    // Watch first, then look: a status renamed in between still wakes the poll.
    REQUIRE(::inotify_add_watch(inotify.get(), supervise.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) >=
            0);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<RunitStatus> last;
    for (;;) {
        last = read_status(supervise);
        if (last && wanted(*last)) return *last;
        const auto left =
            std::chrono::ceil<Millis>(deadline - std::chrono::steady_clock::now()).count();
        INFO("waiting on " << supervise << "/status; last seen: "
                           << (last ? Catch::Detail::stringify(*last) : "none"));
        REQUIRE(left > 0);
        pollfd fd{inotify.get(), POLLIN, 0};
        ::poll(&fd, 1, static_cast<int>(left));
        char events[4096];
        while (::read(inotify.get(), events, sizeof events) > 0) {
        }
    }
}

// Waits until path exists, woken by inotify on its parent (and on theirs, as they appear).
void wait_exists(const std::filesystem::path& path,
                 std::chrono::steady_clock::time_point deadline) {
    if (std::filesystem::exists(path)) return;
    wait_exists(path.parent_path(), deadline);
    UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    REQUIRE(inotify.valid());
    REQUIRE(::inotify_add_watch(inotify.get(), path.parent_path().c_str(),
                                IN_CREATE | IN_MOVED_TO) >= 0);
    while (!std::filesystem::exists(path)) {
        const auto left =
            std::chrono::ceil<Millis>(deadline - std::chrono::steady_clock::now()).count();
        INFO("waiting for " << path << " to appear");
        REQUIRE(left > 0);
        pollfd fd{inotify.get(), POLLIN, 0};
        ::poll(&fd, 1, static_cast<int>(left));
        char events[4096];
        while (::read(inotify.get(), events, sizeof events) > 0) {
        }
    }
}

}  // namespace

TEST_CASE("runit's sv reads and commands svinit's services", "[supervision][runit]") {
    require_runit_sv();
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("a", ServiceFiles(sup.sleeper("a")));
    sup.add("b", ServiceFiles(sup.sleeper("b")).with_logger(shell_script("exec cat > /dev/null")));
    sup.add("c", ServiceFiles(sup.sleeper("c")).normally_down());
    sup.start();
    sup.next_event();  // "a PID" and "b PID", in either order: c is normally down
    sup.next_event();
    const std::string root = sup.service_root();
    const std::string a = sup.service_path("a");
    const std::string b = sup.service_path("b");
    const std::string c = sup.service_path("c");
    const std::string path = regex_escape(root);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    for (const std::string& dir : {a, b, b + "/log", c})
        wait_exists(dir + "/supervise/ok", deadline);

    // sv -w up reads the status files until they say run.
    const CommandResult up = runit_sv({"-w", "10", "up", a, b});
    INFO(up << "\nsvinit's log:\n" << sup.log());
    REQUIRE(up.status == 0);
    CHECK(up.lines.size() == 2);

    SECTION("sv status DIR/* prints runsv's lines, the logger's too") {
        const CommandResult status =
            run_command({"sh", "-c", R"(exec "$0" status "$1"/*)", kRunitSv, root}, 20s);
        INFO(status << "\nsvinit's log:\n" << sup.log());
        CHECK(status.status == 0);
        REQUIRE(status.lines.size() == 3);
        const std::string pid_a = std::to_string(sup.pid("a"));
        const std::string pid_b = std::to_string(sup.pid("b"));
        const std::string pid_log = std::to_string(sup.log_pid("b"));
        CHECK(matches(status.lines[0], "run: " + path + "/a: \\(pid " + pid_a + "\\) \\d+s"));
        CHECK(matches(status.lines[1], "run: " + path + "/b: \\(pid " + pid_b +
                                           "\\) \\d+s; run: log: \\(pid " + pid_log + "\\) \\d+s"));
        CHECK(matches(status.lines[2], "down: " + path + R"(/c: \d+s)"));

        // The files beside status say the same.
        std::ifstream stat(a + "/supervise/stat");
        std::string word;
        std::getline(stat, word);
        CHECK(word == "run");
        std::ifstream pid(a + "/supervise/pid");
        std::string number;
        std::getline(pid, number);
        CHECK(number == pid_a);
        CHECK(std::filesystem::is_fifo(a + "/supervise/control"));
        CHECK(std::filesystem::is_fifo(a + "/supervise/ok"));
        CHECK(std::filesystem::is_regular_file(b + "/log/supervise/status"));
    }

    SECTION("sv -w 7 down, up and restart change svinit's state") {
        const CommandResult down = runit_sv({"-w", "7", "down", a});
        INFO(down << "\nsvinit's log:\n" << sup.log());
        CHECK(down.status == 0);
        REQUIRE(down.lines.size() == 1);
        CHECK(matches(down.lines[0], "ok: down: " + path + R"(/a: \d+s, normally up)"));
        CHECK(sup.status("a")["state"] == "down");

        const CommandResult up_again = runit_sv({"-w", "7", "up", a});
        INFO(up_again);
        CHECK(up_again.status == 0);
        const pid_t started = sup.next_start("a");
        sup.svctl_ok({"wait", "up", "--timeout", "10", "a"});
        CHECK(sup.pid("a") == started);
        REQUIRE(up_again.lines.size() == 1);
        CHECK(matches(up_again.lines[0],
                      "ok: run: " + path + "/a: \\(pid " + std::to_string(started) + "\\) \\d+s"));

        // restart is TERM, CONT, up: svinit starts run again at once.
        const CommandResult restart = runit_sv({"restart", a});
        INFO(restart << "\nsvinit's log:\n" << sup.log());
        CHECK(restart.status == 0);
        const pid_t restarted = sup.next_start("a");
        CHECK(restarted != started);
        sup.svctl_ok({"wait", "up", "--timeout", "10", "a"});
        wait_status(a + "/supervise", [&](const RunitStatus& s) {
            return s.pid == restarted && s.state == 1 && !s.got_term;
        });
        const CommandResult status = runit_sv({"status", a});
        INFO(status);
        REQUIRE(status.lines.size() == 1);
        CHECK(matches(status.lines[0],
                      "run: " + path + "/a: \\(pid " + std::to_string(restarted) + "\\) \\d+s"));
        CHECK(sup.status("a")["restarts"] == 0);  // asked for: not counted as a crash
    }

    SECTION("a service with a logger goes down while its logger runs on") {
        const pid_t logger = sup.log_pid("b");
        const CommandResult down = runit_sv({"-w", "7", "down", b});
        INFO(down << "\nsvinit's log:\n" << sup.log());
        CHECK(down.status == 0);
        const CommandResult status = runit_sv({"status", b});
        INFO(status);
        REQUIRE(status.lines.size() == 1);
        CHECK(matches(status.lines[0], "down: " + path +
                                           R"(/b: \d+s, normally up; run: log: \(pid )" +
                                           std::to_string(logger) + R"(\) \d+s)"));
    }

    SECTION("once, pause and cont") {
        // (Not sv -v once: its check passes at once on a down status written in the same
        // second, before the command is even read; runit's own race.)
        const CommandResult once = runit_sv({"once", c});
        INFO(once << "\nsvinit's log:\n" << sup.log());
        CHECK(once.status == 0);
        const pid_t started = sup.next_start("c");
        wait_status(c + "/supervise", [&](const RunitStatus& s) { return s.pid == started; });
        CHECK(sup.status("c")["state"] == "run");
        const CommandResult status = runit_sv({"status", c});
        INFO(status);
        REQUIRE(status.lines.size() == 1);
        CHECK(matches(status.lines[0], "run: " + path + "/c: \\(pid " + std::to_string(started) +
                                           "\\) \\d+s, normally down, want down"));

        CHECK(runit_sv({"pause", a}).status == 0);
        wait_status(a + "/supervise", [](const RunitStatus& s) { return s.paused; });
        CHECK(sup.status("a")["paused"] == true);
        const CommandResult paused = runit_sv({"status", a});
        INFO(paused);
        REQUIRE(paused.lines.size() == 1);
        CHECK(matches(paused.lines[0], "run: " + path + R"(/a: \(pid \d+\) \d+s, paused)"));
        CHECK(runit_sv({"cont", a}).status == 0);
        wait_status(a + "/supervise", [](const RunitStatus& s) { return !s.paused; });
    }

    SECTION("a service added while svinit runs gets its supervise/ too") {
        sup.add("d", ServiceFiles(sup.sleeper("d")));
        sup.next_start("d");
        // ok appears with its reader already there (svinit renames it into place).
        wait_exists(sup.service_path("d") + "/supervise/ok",
                    std::chrono::steady_clock::now() + 10s);
        const CommandResult up_d = runit_sv({"-w", "10", "up", sup.service_path("d")});
        INFO(up_d << "\nsvinit's log:\n" << sup.log());
        CHECK(up_d.status == 0);
    }

    SECTION("without svinit, sv says runsv is not running") {
        CHECK(sup.stop() == 0);
        const CommandResult status = runit_sv({"status", a, c});
        INFO(status);
        CHECK(status.status == 2);
        CHECK(status.lines == std::vector<std::string>{"fail: " + a + ": runsv not running",
                                                       "fail: " + c + ": runsv not running"});
        // What svinit left behind says down, as runsv leaves it when it exits.
        const std::optional<RunitStatus> left = read_status(a + "/supervise");
        REQUIRE(left.has_value());
        CHECK(left->state == 0);
        CHECK(left->pid == 0);
        return;
    }
    CHECK(sup.stop() == 0);
}

TEST_CASE("with --no-supervise-dir, runit's sv has nothing to read", "[supervision][runit]") {
    require_runit_sv();
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    sup.add("a", ServiceFiles(sup.sleeper("a")));
    sup.start({"--no-supervise-dir"});
    sup.next_start("a");
    const std::string a = sup.service_path("a");
    const CommandResult status = runit_sv({"status", a});
    INFO(status << "\nsvinit's log:\n" << sup.log());
    CHECK(status.status == 1);
    CHECK(status.lines ==
          std::vector<std::string>{"warning: " + a +
                                   ": unable to open supervise/ok: file does not exist"});
    CHECK_FALSE(std::filesystem::exists(a + "/supervise"));
    CHECK(sup.stop() == 0);
}
