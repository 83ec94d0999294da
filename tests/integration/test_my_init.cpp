// svinit as baseimage-docker's my_init (`svinit --my-init`, or invoked as my_init): the
// container environment imported and exported, startup scripts in order with the environment
// passed on, pre- and post-shutdown scripts around the services, my_init's flags and exit
// codes. Every test lays out a small root under its temp dir and points --root at it.

#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/procfs.h"
#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

// A root filesystem layout in the test's temp dir, svinit running on it in my_init mode,
// and a FIFO for the scripts' and services' event lines.
class MyInitRoot {
public:
    explicit MyInitRoot(const Harness& harness)
        : harness_(harness), root_(harness.dir() + "/root"), events_(harness.dir() + "/events") {
        for (const char* dir : {"/etc/container_environment", "/etc/my_init.d",
                                "/etc/my_init.pre_shutdown.d", "/etc/my_init.post_shutdown.d",
                                "/etc/service"}) {
            std::filesystem::create_directories(root_ + dir);
        }
    }

    const std::string& root() const { return root_; }
    std::string path(std::string_view p) const { return root_ + std::string(p); }
    EventFifo& events() { return events_; }

    // A shell line that reports `text` on the event FIFO.
    std::string report(std::string_view text) const {
        return "echo \"" + std::string(text) + "\" > '" + events_.path() + "'";
    }
    // An executable script at root-relative path p.
    void script(std::string_view p, std::string_view body) const {
        write_file(path(p), shell_script(body), 0755);
    }
    void env_file(std::string_view name, std::string_view value) const {
        write_file(path("/etc/container_environment/") + std::string(name), value);
    }
    void service(std::string_view name, std::string_view run) const {
        write_service(path("/etc/service/") + std::string(name), ServiceFiles(shell_script(run)));
    }

    // svinit --my-init --root ROOT ... [-- command...]
    void start(const std::vector<std::string>& flags, const std::vector<std::string>& command = {}) {
        std::vector<std::string> args{"--my-init", "--event-loop=" + harness_.backend(), "--root",
                                      root_, "--control-socket", harness_.dir() + "/control.sock"};
        args.insert(args.end(), flags.begin(), flags.end());
        if (!command.empty()) {
            args.push_back("--");
            args.insert(args.end(), command.begin(), command.end());
        }
        svinit_.emplace(harness_.start_raw(args));
    }
    Process& svinit() { return *svinit_; }

    std::string next_event(Millis timeout = 10s) {
        auto line = events_.read_line(timeout);
        INFO("svinit's log:\n" << (svinit_ ? svinit_->stderr_text() : std::string()));
        REQUIRE(line.has_value());
        return *line;
    }
    // Sends sig to svinit itself (PID 1 of the namespace, not unshare).
    void signal(int sig) {
        auto pid = svinit_host_pid(*svinit_);
        REQUIRE(pid.has_value());
        REQUIRE(::kill(*pid, sig) == 0);
    }

private:
    const Harness& harness_;
    std::string root_;
    EventFifo events_;
    std::optional<Process> svinit_;
};

// Values a shell-quoting bug would mangle.
const std::vector<std::pair<std::string, std::string>> kTrickyValues{
    {"SPACES", "a b  c"},
    {"QUOTES", "it's \"quoted\""},
    {"DOLLAR", "$HOME ${PATH} $(id) `id`"},
    {"BACKSLASH", "a\\b\\\\c\\"},
    {"NEWLINES", "line 1\nline 2\n\nend"},
    {"UTF8", "gr\xc3\xbc\xc3\x9f \xe2\x9c\x93"},
    {"INVALID_UTF8", "bad \xff\xfe\x80 bytes"},
    {"EMPTY", ""},
    {"SAFE", "/usr/bin:a=b,c@d%e+f"},
};

}  // namespace

TEST_CASE("my_init: the container environment is imported without override and exported",
          "[my_init][env]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);

    root.env_file("FROM_FILE", "file value\n");  // one trailing newline is dropped
    root.env_file("KEPT", "from the file");
    for (const auto& [name, value] : kTrickyValues) root.env_file(name, value);
    ::setenv("KEPT", "from svinit's environment", 1);
    ::setenv("HOME", "/home/test", 1);
    root.start({}, {"sh", "-c", root.report("$FROM_FILE|$KEPT")});
    ::unsetenv("KEPT");

    CHECK(root.next_event() == "file value|from svinit's environment");
    CHECK(root.svinit().wait(15s) == 0);

    // Exported back: the variable set before start wins, and the skipped names are not written.
    CHECK(read_file(root.path("/etc/container_environment/KEPT")) == "from svinit's environment");
    CHECK(read_file(root.path("/etc/container_environment/FROM_FILE")) == "file value");
    CHECK_FALSE(std::filesystem::exists(root.path("/etc/container_environment/HOME")));

    // .sh reads back exactly, byte for byte, in sh and in bash.
    const std::string sh_file = root.path("/etc/container_environment.sh");
    CHECK(read_file(sh_file).find("export HOME=") == std::string::npos);
    for (const std::string shell : {"sh", "bash"}) {
        for (const auto& [name, value] : kTrickyValues) {
            INFO(shell << ", " << name);
            auto result = run_command(
                {shell, "-c", ". '" + sh_file + "'; printf '%s\\n' \"$" + name + "\""}, 10s);
            REQUIRE(result.status == 0);
            std::string joined;
            for (const auto& line : result.lines) joined += line + "\n";
            CHECK(joined == value + "\n");
        }
    }

    // .json is valid JSON for any bytes, and holds the whole environment (HOME too).
    const auto json = nlohmann::json::parse(read_file(root.path("/etc/container_environment.json")));
    CHECK(json.at("NEWLINES") == "line 1\nline 2\n\nend");
    CHECK(json.at("UTF8") == "gr\xc3\xbc\xc3\x9f \xe2\x9c\x93");
    CHECK(json.at("INVALID_UTF8").get<std::string>().starts_with("bad "));
    CHECK(json.at("HOME") == "/home/test");
}

TEST_CASE("my_init: nothing is written without /etc/container_environment", "[my_init][env]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    std::filesystem::remove_all(root.path("/etc/container_environment"));

    root.start({}, {"true"});
    CHECK(root.svinit().wait(15s) == 0);
    CHECK_FALSE(std::filesystem::exists(root.path("/etc/container_environment.sh")));
    CHECK_FALSE(std::filesystem::exists(root.path("/etc/container_environment.json")));
}

TEST_CASE("my_init: startup scripts run in order, and what one exports reaches the rest",
          "[my_init][startup]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);

    const std::string env_dir = root.path("/etc/container_environment");
    root.script("/etc/my_init.d/10_set",
                root.report("10_set") + "\nprintf 'set by 10' > '" + env_dir + "/FROM_SCRIPT'");
    root.script("/etc/my_init.d/20_check", root.report("20_check $FROM_SCRIPT"));
    write_file(root.path("/etc/my_init.d/30_not_executable"), shell_script(root.report("no")));
    root.script("/etc/rc.local", root.report("rc.local $FROM_SCRIPT"));
    root.service("web", root.report("web $FROM_SCRIPT") + "\nexec sleep 100000");

    root.start({}, {"sh", "-c", root.report("main $FROM_SCRIPT") + "; sleep 100000"});
    CHECK(root.next_event() == "10_set");
    CHECK(root.next_event() == "20_check set by 10");
    CHECK(root.next_event() == "rc.local set by 10");
    std::set<std::string> started{root.next_event(), root.next_event()};
    CHECK(started == std::set<std::string>{"main set by 10", "web set by 10"});
    // And the .sh file was rewritten after the script.
    CHECK(read_file(root.path("/etc/container_environment.sh")).find("FROM_SCRIPT='set by 10'") !=
          std::string::npos);

    root.signal(SIGTERM);
    CHECK(root.svinit().wait(15s) == 2);
    const std::string& log = root.svinit().stderr_text();
    INFO(log);
    CHECK(log.find("*** Running " + root.path("/etc/my_init.d/10_set") + "...") != std::string::npos);
    CHECK(log.find("*** Init system aborted.") != std::string::npos);
}

TEST_CASE("my_init: a failing startup script stops start-up with exit 1", "[my_init][startup]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);

    root.script("/etc/my_init.d/10_fail", root.report("10_fail") + "\nexit 3");
    root.script("/etc/my_init.d/20_never", root.report("20_never"));
    root.service("web", root.report("web") + "\nexec sleep 100000");

    const bool quiet = GENERATE(false, true);
    INFO("--quiet: " << quiet);
    root.start(quiet ? std::vector<std::string>{"--quiet"} : std::vector<std::string>{},
               {"sh", "-c", root.report("main")});
    CHECK(root.next_event() == "10_fail");
    CHECK(root.svinit().wait(15s) == 1);
    // Neither the next script, nor the service, nor the main command ran.
    CHECK_FALSE(root.events().read_line(0ms).has_value());
    const std::string& log = root.svinit().stderr_text();
    INFO(log);
    CHECK(log.find("*** " + root.path("/etc/my_init.d/10_fail") + " failed with status 3\n") !=
          std::string::npos);
    // --quiet hides the info lines, never the failure.
    CHECK((log.find("*** Running ") == std::string::npos) == quiet);
}

TEST_CASE("my_init: on SIGTERM, pre-shutdown scripts, services, post-shutdown scripts, exit 2",
          "[my_init][shutdown]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);

    root.script("/etc/my_init.pre_shutdown.d/10_first", root.report("pre 10"));
    root.script("/etc/my_init.pre_shutdown.d/20_second", root.report("pre 20"));
    root.script("/etc/my_init.post_shutdown.d/10_post", root.report("post 10"));
    write_service(root.path("/etc/service/web"),
                  ServiceFiles(shell_script(root.report("web up") + "\nexec sleep 100000"))
                      .with_finish(shell_script(root.report("web finish $1 $2"))));

    root.start({});
    CHECK(root.next_event() == "web up");
    root.signal(SIGTERM);
    CHECK(root.next_event() == "pre 10");
    CHECK(root.next_event() == "pre 20");
    CHECK(root.next_event() == "web finish -1 15");
    CHECK(root.next_event() == "post 10");
    CHECK(root.svinit().wait(15s) == 2);
    const std::string& log = root.svinit().stderr_text();
    INFO(log);
    for (const char* line : {"*** Starting services...", "*** Stopping services...",
                             "*** Killing all processes...", "*** Init system aborted."}) {
        CHECK(log.find(line) != std::string::npos);
    }
}

TEST_CASE("my_init: the main command's exit code is passed through, 128+N for a signal",
          "[my_init][exit]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.pre_shutdown.d/10_pre", root.report("pre"));

    root.start({}, {"sh", "-c", "exit 7"});
    CHECK(root.next_event() == "pre");  // shutdown scripts run after a main command's exit too
    CHECK(root.svinit().wait(15s) == 7);
    CHECK(root.svinit().stderr_text().find("*** sh exited with status 7.") != std::string::npos);

    root.start({}, {"sh", "-c", "kill -KILL $$"});
    CHECK(root.next_event() == "pre");
    CHECK(root.svinit().wait(15s) == 128 + SIGKILL);
}

TEST_CASE("my_init: SIGTERM stops the main command first and exits 2", "[my_init][exit]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.pre_shutdown.d/10_pre", root.report("pre"));

    // --shutdown-signal adds a signal to TERM and INT (Docker's STOPSIGNAL).
    const int sig = GENERATE(SIGTERM, SIGINT, SIGUSR1);
    INFO("signal " << sig);
    root.start({"--skip-runit", "--shutdown-signal", "SIGUSR1"},
               {"sh", "-c", "trap '" + root.report("main got TERM") + "; exit 0' TERM; " +
                                root.report("main up") + "; while :; do sleep 0.1; done"});
    CHECK(root.next_event() == "main up");
    root.signal(sig);
    CHECK(root.next_event() == "main got TERM");  // my_init sends TERM whatever it got
    CHECK(root.next_event() == "pre");            // and only then runs the shutdown scripts
    CHECK(root.svinit().wait(15s) == 2);
}

TEST_CASE("my_init: --skip-startup-files and --skip-runit", "[my_init][flags]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.d/10_startup", root.report("startup"));
    root.script("/etc/rc.local", root.report("rc.local"));
    root.service("web", root.report("web") + "\nexec sleep 100000");

    SECTION("--skip-startup-files runs the services and the command, no scripts") {
        root.start({"--skip-startup-files"},
                   {"sh", "-c", root.report("main") + "; sleep 100000"});
        std::set<std::string> seen{root.next_event(), root.next_event()};
        CHECK(seen == std::set<std::string>{"main", "web"});
    }
    SECTION("--skip-runit runs the scripts and the command, no services") {
        root.start({"--skip-runit"}, {"sh", "-c", root.report("main") + "; sleep 100000"});
        CHECK(root.next_event() == "startup");
        CHECK(root.next_event() == "rc.local");
        CHECK(root.next_event() == "main");
    }
    root.signal(SIGTERM);
    CHECK(root.svinit().wait(15s) == 2);
    CHECK_FALSE(root.events().read_line(0ms).has_value());
}

TEST_CASE("my_init: --skip-runit without a main command is refused with exit 1",
          "[my_init][flags]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.start({"--skip-runit"});
    CHECK(root.svinit().wait(10s) == 1);
    CHECK(root.svinit().stderr_text() ==
          "*** When --skip-runit is given, you must also pass a main command.\n");
}

TEST_CASE("my_init: --no-kill-all-on-exit leaves the other processes alone", "[my_init][flags]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);

    // The main command leaves a process behind that reports SIGTERM, and exits once that
    // process says on a FIFO that its trap is set.
    const std::string ready = harness.dir() + "/ready";
    REQUIRE(::mkfifo(ready.c_str(), 0600) == 0);
    const std::string orphan = "trap '" + root.report("orphan got TERM") + "; exit 0' TERM; echo > '" +
                               ready + "'; while :; do sleep 0.1; done";
    const std::string main = "sh -c \"$0\" & read _ < '" + ready + "'";

    const bool kill_all = GENERATE(true, false);
    INFO("kill all on exit: " << kill_all);
    root.start(kill_all ? std::vector<std::string>{} : std::vector<std::string>{"--no-kill-all-on-exit"},
               {"sh", "-c", main, orphan});
    CHECK(root.svinit().wait(15s) == 0);
    // With the sweep the orphan got TERM before svinit exited; without it, the kernel's KILL
    // at PID 1's exit gave it no chance to report.
    CHECK(root.events().read_line(kill_all ? 5s : 0ms).has_value() == kill_all);
}

TEST_CASE("my_init: invoked as my_init, svinit takes my_init's command line", "[my_init][flags]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.d/10_startup", root.report("startup"));

    Process my_init = Process::spawn(
        {"unshare", "--pid", "--fork", "--mount-proc", helper("hermetic"),
         SVINIT_BIN_DIR "/my_init", "--event-loop=" + backend, "--root", root.root(),
         "--control-socket", harness.dir() + "/control.sock", "--skip-runit", "--quiet", "--",
         "sh", "-c", "exit 4"});
    CHECK(root.next_event() == "startup");
    CHECK(my_init.wait(15s) == 4);
    CHECK(my_init.stderr_text().find("Running") == std::string::npos);
}

TEST_CASE("my_init: --enable-insecure-key runs enable_insecure_key first, or says it is missing",
          "[my_init][flags]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.d/10_startup", root.report("startup"));

    const bool present = GENERATE(true, false);
    INFO("enable_insecure_key present: " << present);
    if (present) {
        std::filesystem::create_directories(root.path("/usr/sbin"));
        root.script("/usr/sbin/enable_insecure_key", root.report("key"));
    }
    root.start({"--enable-insecure-key", "--skip-runit"}, {"true"});
    if (present) CHECK(root.next_event() == "key");
    CHECK(root.next_event() == "startup");
    CHECK(root.svinit().wait(15s) == 0);
    const bool said_missing = root.svinit().stderr_text().find(
                                  root.path("/usr/sbin/enable_insecure_key") + " does not exist") !=
                              std::string::npos;
    CHECK(said_missing == !present);
}

TEST_CASE("my_init: a shutdown script that hangs is stopped after KILL_PROCESS_TIMEOUT",
          "[my_init][shutdown]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.pre_shutdown.d/10_hang", root.report("hang") + "\nexec sleep 100000");
    root.script("/etc/my_init.pre_shutdown.d/20_next", root.report("next"));

    ::setenv("KILL_PROCESS_TIMEOUT", "0.5", 1);
    root.start({"--skip-runit"}, {"true"});
    ::unsetenv("KILL_PROCESS_TIMEOUT");
    CHECK(root.next_event() == "hang");
    CHECK(root.next_event() == "next");
    CHECK(root.svinit().wait(15s) == 0);
    CHECK(root.svinit().stderr_text().find("10_hang still running after its time limit") !=
          std::string::npos);
}

TEST_CASE("my_init: after a startup script, HOME is what the directory says (my_init's quirk)",
          "[my_init][env]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    const std::string home_file = root.path("/etc/container_environment/HOME");
    root.script("/etc/my_init.d/10_first", root.report("first HOME=$HOME"));
    root.script("/etc/my_init.d/20_second",
                root.report("second HOME=$HOME") + "\nprintf /root > '" + home_file + "'");
    root.script("/etc/my_init.d/30_third", root.report("third HOME=$HOME"));

    ::setenv("HOME", "/home/test", 1);
    root.start({"--skip-runit"}, {"true"});
    CHECK(root.next_event() == "first HOME=/home/test");  // the environment svinit was given
    CHECK(root.next_event() == "second HOME=");            // cleared and re-read: no HOME file
    CHECK(root.next_event() == "third HOME=/root");        // the file images write to keep it
    CHECK(root.svinit().wait(15s) == 0);
}

TEST_CASE("my_init: SIGTERM during start-up stops the running script and starts nothing",
          "[my_init][startup]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.d/10_slow",
                "trap '" + root.report("10_slow got TERM") + "; exit 1' TERM\n" +
                    root.report("10_slow") + "\nwhile :; do sleep 0.1; done");
    root.script("/etc/my_init.d/20_never", root.report("20_never"));
    root.script("/etc/my_init.pre_shutdown.d/10_pre", root.report("pre"));
    root.service("web", root.report("web") + "\nexec sleep 100000");

    root.start({}, {"sh", "-c", root.report("main")});
    CHECK(root.next_event() == "10_slow");
    root.signal(SIGTERM);
    CHECK(root.next_event() == "10_slow got TERM");
    CHECK(root.svinit().wait(15s) == 2);
    // No later script, no service, no main command, and no shutdown scripts for a boot that
    // never finished (as my_init).
    CHECK_FALSE(root.events().read_line(0ms).has_value());
    const std::string& log = root.svinit().stderr_text();
    INFO(log);
    CHECK(log.find("*** Init system aborted.") != std::string::npos);
    CHECK(log.find("failed with status") == std::string::npos);
    CHECK(log.find("Stopping services") == std::string::npos);  // none was started
}

TEST_CASE("my_init: a main command that does not exist exits 127 after start-up",
          "[my_init][exit]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.script("/etc/my_init.d/10_startup", root.report("startup"));
    root.service("web", root.report("web") + "\nexec sleep 100000");

    root.start({}, {"svinit-test-no-such-command"});
    CHECK(root.next_event() == "startup");
    CHECK(root.svinit().wait(15s) == 127);
    CHECK_FALSE(root.events().read_line(0ms).has_value());  // no service was started
    CHECK(root.svinit().stderr_text().find("svinit-test-no-such-command") != std::string::npos);
}

TEST_CASE("my_init: only my_init's lines at the default level, and --quiet hides restarts",
          "[my_init][log]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    MyInitRoot root(harness);
    root.service("crash", root.report("crash") + "\nexit 1");

    const bool quiet = GENERATE(false, true);
    INFO("--quiet: " << quiet);
    root.start(quiet ? std::vector<std::string>{"--quiet"} : std::vector<std::string>{});
    for (int i = 0; i < 3; ++i) CHECK(root.next_event() == "crash");
    root.signal(SIGTERM);
    CHECK(root.svinit().wait(15s) == 2);

    const std::string& log = root.svinit().stderr_text();
    INFO(log);
    // Every line is my_init's style; svinit's own progress lines are not there.
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) CHECK(line.starts_with("*** "));
    CHECK(log.find("event loop") == std::string::npos);
    CHECK(log.find("control:") == std::string::npos);
    // my_init's lines at its level: progress without --quiet, warnings always.
    CHECK((log.find("*** Starting services...") != std::string::npos) == !quiet);
    CHECK((log.find("*** Killing all processes...") != std::string::npos) == !quiet);
    CHECK(log.find("*** Init system aborted.") != std::string::npos);
    // A crash-looping service is svinit's news, not my_init's: a warning, hidden by --quiet.
    CHECK((log.find("crash: exited with status 1") != std::string::npos) == !quiet);
}
