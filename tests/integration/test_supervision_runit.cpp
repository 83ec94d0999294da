// runit behaviours real images rely on, with the real binaries: runit's control/ scripts
// (nginx's graceful stop through control/t), loggers as targets of their own (NAME/log),
// check against what is wanted now, rm -rf of a crash-looping service, and a request naming
// many paths over many services. Synchronised on the services' event FIFO and on svctl
// wait, never on sleeps.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/regex.h"
#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kRunitSv = "/usr/bin/sv";

bool have_runit_sv() {
    if (::access(kRunitSv, X_OK) == 0) return true;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL(kRunitSv << " is missing (install Debian's runit)\n"
                      << "(CI=true: a test that cannot run is a failure, not a skip)");
    }
    WARN(kRunitSv << " is missing: its part of the test is left out");
    return false;
}

// nginx's shape: QUIT is its graceful stop, TERM its fast one. It says which it got on the
// event FIFO ("NAME got QUIT") and exits.
std::string graceful(Supervision& sup, const std::string& name) {
    const std::string fifo = "'" + sup.events().path() + "'";
    return shell_script("echo $$ > run.pid\n"
                        "sleep 100000 & child=$!\n"
                        "trap 'kill $child; echo \"" + name + " got QUIT\" > " + fifo + "; exit 0' QUIT\n"
                        "trap 'kill $child; echo \"" + name + " got TERM\" > " + fifo + "; exit 0' TERM\n"
                        "echo \"" + name + " $$\" > " + fifo + "\n"
                        "wait $child\n");
}

// control/t as passenger-docker's nginx has it: a graceful stop asked for, and exit 0 so
// that no TERM follows; or exit 1, so the TERM follows after all.
void add_control_t(Supervision& sup, const std::string& name, int exit_code) {
    const std::string dir = sup.service_path(name);
    std::filesystem::create_directories(dir + "/control");
    const std::string fifo = "'" + sup.events().path() + "'";
    std::string body = "echo \"" + name + " control/t\" > " + fifo + "\n";
    if (exit_code == 0) body += "kill -QUIT \"$(cat run.pid)\"\n";
    body += "exit " + std::to_string(exit_code) + "\n";
    write_file(dir + "/control/t", shell_script(body), 0755);
}

// Reads events until `line`, REQUIRE-ing that it comes; other lines are collected.
std::vector<std::string> events_until(Supervision& sup, const std::string& line) {
    std::vector<std::string> seen;
    for (;;) {
        INFO("waiting for '" << line << "'; seen so far: " << Catch::Detail::stringify(seen)
                             << "\nsvinit's log:\n" << sup.log());
        seen.push_back(sup.next_event());
        if (seen.back() == line) return seen;
    }
}

bool contains(const std::vector<std::string>& lines, const std::string& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

}  // namespace

TEST_CASE("control/t: restart and shutdown stop nginx with QUIT, not TERM",
          "[supervision][runit][control]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    sup.add("web", ServiceFiles(graceful(sup, "web")));
    add_control_t(sup, "web", 0);
    sup.add("plain", ServiceFiles(graceful(sup, "plain")));
    add_control_t(sup, "plain", 1);
    sup.start();
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web", "plain"});
    const std::string env_socket = "SVINIT_SOCKET=" + sup.socket();

    const auto restarted_with = [&](const std::string& name, const std::string& how,
                                    const std::function<CommandResult()>& restart) {
        INFO("restart through " << how);
        const CommandResult done = restart();
        INFO(done << "\nsvinit's log:\n" << sup.log());
        CHECK(done.status == 0);
        auto seen = events_until(sup, name + " control/t");
        seen = events_until(sup, name + " got " + (name == "web" ? "QUIT" : "TERM"));
        if (name == "web") CHECK_FALSE(contains(seen, "web got TERM"));
        sup.next_start(name);
    };
    restarted_with("web", "svctl", [&] { return sup.svctl({"restart", "web"}); });
    restarted_with("web", "svinit's sv", [&] { return sup.sv({"restart", "web"}); });
    if (have_runit_sv()) {
        restarted_with("web", "runit's sv", [&] {
            return run_command({kRunitSv, "-w", "10", "restart", sup.service_path("web")}, 30s);
        });
    }
    restarted_with("plain", "svctl (control/t exits 1)",
                   [&] { return sup.svctl({"restart", "plain"}); });

    // Shutdown stops every service through the same path. The FIFO keeps the lines.
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web", "plain"});
    CHECK(sup.stop() == 0);
    std::vector<std::string> seen;
    while (!(contains(seen, "web got QUIT") && contains(seen, "plain got TERM"))) {
        INFO("seen so far: " << Catch::Detail::stringify(seen) << "\nsvinit's log:\n"
                             << sup.log());
        seen.push_back(sup.next_event());
    }
    CHECK_FALSE(contains(seen, "web got TERM"));
    CHECK(contains(seen, "web control/t"));
}

TEST_CASE("loggers are targets: status, signals, restart, down and up of NAME/log",
          "[supervision][runit][logger]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    const std::string fifo = "'" + sup.events().path() + "'";
    // sigrecord says "log ready", then "log N" for each signal N, and exits after TERM.
    sup.add("web", ServiceFiles(sup.sleeper("web"))
                       .with_logger(shell_script("exec '" + helper("sigrecord") + "' log > " +
                                                 fifo)));
    sup.start();
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web", "web/log"});
    events_until(sup, "log ready");
    const std::string log_dir = sup.service_path("web") + "/log";
    const std::string root = sup.service_root();
    const pid_t run = sup.pid("web");

    SECTION("status") {
        const CommandResult svctl = sup.svctl_ok({"status", "web/log"});
        REQUIRE(svctl.lines.size() == 1);
        CHECK(matches(svctl.lines[0], R"(run: web/log: \(pid \d+\) \d+s)"));
        const CommandResult by_path = sup.sv({"status", log_dir});
        INFO(by_path);
        CHECK(by_path.status == 0);
        REQUIRE(by_path.lines.size() == 1);
        CHECK(matches(by_path.lines[0], "run: " + regex_escape(log_dir) + R"(: \(pid \d+\) \d+s)"));
        const CommandResult by_name =
            run_command({"env", "SVINIT_SOCKET=" + sup.socket(), "SVDIR=" + root,
                         SVINIT_BIN_DIR "/sv", "status", "web/log"},
                        20s);
        INFO(by_name);
        CHECK(by_name.status == 0);
        CHECK(by_name.lines.size() == 1);
        if (have_runit_sv()) {
            const CommandResult runit = run_command({kRunitSv, "status", log_dir}, 20s);
            INFO(runit);
            CHECK(runit.status == 0);
            CHECK(matches(runit.lines.at(0), "run: " + regex_escape(log_dir) + R"(: \(pid \d+\) \d+s)"));
        }
    }

    SECTION("signals through svctl, svinit's sv and runit's sv reach the logger") {
        sup.svctl_ok({"hup", "web/log"});
        events_until(sup, "log 1");
        const CommandResult sv = sup.sv({"alarm", log_dir});
        INFO(sv);
        CHECK(sv.status == 0);
        events_until(sup, "log 14");
        if (have_runit_sv()) {
            const CommandResult runit = run_command({kRunitSv, "hup", log_dir}, 20s);
            INFO(runit);
            CHECK(runit.status == 0);
            events_until(sup, "log 1");
        }
        CHECK(sup.pid("web") == run);  // run got none of them
    }

    SECTION("restart, down and up") {
        sup.svctl_ok({"restart", "web/log"});
        events_until(sup, "log 15");
        events_until(sup, "log ready");
        sup.svctl_ok({"down", "web/log"});
        events_until(sup, "log 15");
        sup.svctl_ok({"wait", "down", "--timeout", "10", "web/log"});
        sup.svctl_ok({"check"});  // wanted down, and down
        sup.svctl_ok({"up", "web/log"});
        events_until(sup, "log ready");
        if (have_runit_sv()) {
            const CommandResult runit = run_command({kRunitSv, "-w", "10", "restart", log_dir}, 30s);
            INFO(runit << "\nsvinit's log:\n" << sup.log());
            CHECK(runit.status == 0);
            events_until(sup, "log 15");
        }
        CHECK(sup.pid("web") == run);
    }
}

TEST_CASE("check passes for a service taken down on purpose", "[supervision][check]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    sup.add("web", ServiceFiles(sup.sleeper("web")));
    sup.add("db", ServiceFiles(sup.sleeper("db")));
    sup.start();
    sup.svctl_ok({"wait", "up", "--timeout", "10", "web", "db"});
    sup.svctl_ok({"check"});
    sup.svctl_ok({"down", "db"});
    sup.svctl_ok({"wait", "down", "--timeout", "10", "db"});
    sup.svctl_ok({"check"});
    const CommandResult sv = sup.sv({"check", "db"});
    INFO(sv);
    CHECK(sv.status == 0);
    sup.svctl_ok({"up", "db"});
    sup.svctl_ok({"wait", "up", "--timeout", "10", "db"});
    sup.svctl_ok({"check"});
    // A service wanted up that does not run still fails it: finish's 125 keeps it failed.
    const std::string fifo = "'" + sup.events().path() + "'";
    sup.add("broken", ServiceFiles(shell_script("echo \"broken $$\" > " + fifo + "\nexit 1"))
                          .with_finish(shell_script("exit 125")));
    sup.next_start("broken");
    sup.svctl_ok({"wait", "down", "--timeout", "10", "broken"});
    const CommandResult failed = sup.svctl({"check"});
    INFO(failed);
    CHECK(failed.status == 1);
    REQUIRE(failed.err.find("check failed: failed: broken:") != std::string::npos);
}

TEST_CASE("rm -rf of a crash-looping service succeeds", "[supervision][runit][remove]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    sup.add("steady", ServiceFiles(sup.sleeper("steady")));
    // Crash loops as fast as the backoff lets it: every crash rewrites supervise/.
    sup.start({"--backoff-min", "0.001", "--backoff-max", "0.005"});
    sup.svctl_ok({"wait", "up", "--timeout", "10", "steady"});
    const std::string fifo = "'" + sup.events().path() + "'";
    for (int round = 0; round < 5; ++round) {
        const std::string name = "crash" + std::to_string(round);
        INFO("round " << round);
        sup.add(name, ServiceFiles(shell_script("echo \"" + name + " $$\" > " + fifo + "\nexit 1")));
        for (int i = 0; i < 3; ++i) sup.next_start(name);  // it is crash-looping now
        // A status write under way may land just after rm unlinked its name (runsv's race
        // too, docs/design.md); svinit writes nothing more once it has seen a file go, so
        // a second rm must succeed.
        CommandResult rm = run_command({"rm", "-rf", sup.service_path(name)}, 20s);
        if (rm.status != 0) rm = run_command({"rm", "-rf", sup.service_path(name)}, 20s);
        std::string left;
        std::error_code ec;
        for (const auto& entry :
             std::filesystem::recursive_directory_iterator(sup.service_path(name), ec)) {
            left += entry.path().string() + "\n";
        }
        INFO(rm << "left behind:\n" << left << "\nsvinit's log:\n" << sup.log());
        REQUIRE(rm.status == 0);
        CHECK_FALSE(std::filesystem::exists(sup.service_path(name)));
    }
    CHECK(sup.pid("steady") != 0);
}

TEST_CASE("a status naming a thousand paths over 2000 services leaves check answered",
          "[supervision][resolve]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    // Normally down: nothing runs, only the number of services matters.
    const auto names = numbered_names("s", 2000);
    for (const auto& name : names) sup.add(name, ServiceFiles(shell_script("exit 0")).normally_down());
    const std::string alias = sup.dir() + "/alias";
    std::filesystem::create_directory_symlink(sup.service_root(), alias);
    sup.start({"--no-supervise-dir"});

    // As many paths as one request line holds: each spelt as a path, a path with a
    // trailing '/', or through a symlink (which costs svinit one stat).
    std::vector<std::string> argv{SVINIT_BIN_DIR "/svctl", "--socket", sup.socket(), "status"};
    std::size_t bytes = 0;
    for (std::size_t i = 0; bytes < 50'000; ++i) {
        const std::string& name = names[i % names.size()];
        std::string path = i % 3 == 0   ? sup.service_path(name)
                           : i % 3 == 1 ? sup.service_path(name) + "/"
                                        : alias + "/" + name;
        bytes += path.size() + 3;
        argv.push_back(std::move(path));
    }
    const std::size_t paths = argv.size() - 4;
    const std::string out = sup.dir() + "/status.out";
    std::vector<std::string> shell{"sh", "-c", "exec \"$@\" > '" + out + "'", "sh"};
    shell.insert(shell.end(), argv.begin(), argv.end());
    Process big = Process::spawn(shell);
    // Every service is as wanted (down); svinit must answer while the big request is
    // served. The guard is generous: it took 30 s and more when svinit canonicalised
    // every service directory for every path.
    const CommandResult check = run_command(
        {SVINIT_BIN_DIR "/svctl", "--socket", sup.socket(), "check"}, 20s);
    INFO(check << "\nsvinit's log:\n" << sup.log());
    CHECK(check.status == 0);
    CHECK(big.wait(60s) == 0);
    std::ifstream lines(out);
    std::size_t count = 0;
    for (std::string line; std::getline(lines, line);) ++count;
    CHECK(count == paths);
}
