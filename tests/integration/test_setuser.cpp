// setuser (svctl invoked as `setuser`, or `svctl setuser`): run a command as another user,
// as baseimage-docker's /sbin/setuser. Needs root to switch users; not PID 1.

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// Exit 77 (skipped) when not root, unless CI=true says the test must run.
void require_root() {
    if (::geteuid() == 0) return;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") FAIL("setuser tests need root");
    std::fprintf(stderr, "skipping: setuser tests need root\n");
    std::exit(77);
}

struct Run {
    int status = -1;
    std::vector<std::string> out;
    std::string err;
};

Run run(std::vector<std::string> argv) {
    Process process = Process::spawn(argv);
    Run result;
    result.status = process.wait(10s);
    while (auto line = process.read_line(0ms)) result.out.push_back(*line);
    result.err = process.stderr_text();
    return result;
}

// Both ways in: the setuser symlink and `svctl setuser`.
std::vector<std::vector<std::string>> both(const std::vector<std::string>& args) {
    std::vector<std::string> link{SVINIT_BIN_DIR "/setuser"};
    std::vector<std::string> sub{SVINIT_BIN_DIR "/svctl", "setuser"};
    link.insert(link.end(), args.begin(), args.end());
    sub.insert(sub.end(), args.begin(), args.end());
    return {link, sub};
}

std::set<gid_t> parse_gids(const std::string& line) {
    std::set<gid_t> gids;
    std::istringstream in(line);
    for (unsigned long gid = 0; in >> gid;) gids.insert(static_cast<gid_t>(gid));
    return gids;
}

// The groups setuser should set (as initgroups would): getgrouplist's answer.
std::set<gid_t> expected_groups(const passwd& user) {
    int count = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(count));
    while (::getgrouplist(user.pw_name, user.pw_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<std::size_t>(count));
    }
    return {groups.begin(), groups.begin() + count};
}

}  // namespace

TEST_CASE("setuser nobody runs the command as nobody, with nobody's groups", "[setuser]") {
    require_root();
    const passwd* nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    for (const auto& argv : both({"nobody", "sh", "-c", "id -u; id -g; id -G"})) {
        INFO(argv.front());
        Run result = run(argv);
        INFO(result.err);
        REQUIRE(result.status == 0);
        REQUIRE(result.out.size() == 3);
        CHECK(result.out[0] == std::to_string(nobody->pw_uid));
        CHECK(result.out[0] == "65534");
        CHECK(result.out[1] == std::to_string(nobody->pw_gid));
        // root's supplementary groups are gone; nobody's own are there.
        CHECK(parse_gids(result.out[2]) == expected_groups(*nobody));
    }
}

TEST_CASE("setuser sets USER, HOME, UID and LOGNAME from passwd", "[setuser]") {
    require_root();
    const passwd* nobody = ::getpwnam("nobody");
    REQUIRE(nobody != nullptr);
    const std::string home = nobody->pw_dir;
    for (const auto& argv :
         both({"nobody", "sh", "-c", "printf '%s\\n' \"$USER\" \"$HOME\" \"$UID\" \"$LOGNAME\""})) {
        INFO(argv.front());
        Run result = run(argv);
        INFO(result.err);
        REQUIRE(result.status == 0);
        CHECK(result.out == std::vector<std::string>{"nobody", home, "65534", "nobody"});
    }
    // A numeric uid names the same user.
    Run numeric = run({SVINIT_BIN_DIR "/setuser", "65534", "sh", "-c", "echo $USER; id -u"});
    CHECK(numeric.status == 0);
    CHECK(numeric.out == std::vector<std::string>{"nobody", "65534"});
}

TEST_CASE("setuser passes the command's arguments and exit status through", "[setuser]") {
    require_root();
    Run result = run({SVINIT_BIN_DIR "/setuser", "nobody", "sh", "-c", "echo \"$1|$2\"; exit 7",
                      "sh", "--help", "-x"});
    CHECK(result.status == 7);
    CHECK(result.out == std::vector<std::string>{"--help|-x"});
}

TEST_CASE("setuser fails: no user 1, no command 127, not executable 126, usage 2", "[setuser]") {
    require_root();
    for (const auto& argv : both({"svinit-no-such-user", "true"})) {
        Run result = run(argv);
        CHECK(result.status == 1);
        CHECK(result.err == "setuser: no user named 'svinit-no-such-user'\n");
    }
    for (const auto& argv : both({"nobody", "svinit-no-such-command"})) {
        Run result = run(argv);
        CHECK(result.status == 127);
        CHECK(result.err ==
              "setuser: cannot execute 'svinit-no-such-command': No such file or directory\n");
    }
    Run not_executable = run({SVINIT_BIN_DIR "/setuser", "nobody", "/etc/passwd"});
    CHECK(not_executable.status == 126);
    CHECK(not_executable.err == "setuser: cannot execute '/etc/passwd': Permission denied\n");

    for (const auto& argv : both({"nobody"})) {
        Run result = run(argv);
        CHECK(result.status == 2);
        CHECK(result.err == "setuser: missing command\nTry 'setuser --help'.\n");
    }
}

TEST_CASE("setuser stops before the command when it cannot switch users", "[setuser]") {
    require_root();
    // As nobody, setuser cannot become root: setgroups fails and `echo` never runs.
    Run result = run(
        {SVINIT_BIN_DIR "/setuser", "nobody", SVINIT_BIN_DIR "/setuser", "root", "echo", "ran"});
    if (result.status == 126) {
        WARN("nobody cannot execute " SVINIT_BIN_DIR "/setuser here: " << result.err);
        return;
    }
    CHECK(result.status == 1);
    CHECK(result.out.empty());
    CHECK(result.err ==
          "setuser: cannot become root: setgroups for root: Operation not permitted\n");
}
