// svinit --config FILE and --check-config: a valid configuration exits 0 and starts nothing,
// an invalid one exits 1 with every error on stderr, and at start the file's settings apply
// where no flag gave one.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

void write_text(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// A runit service that leaves a mark when it runs, and a TOML file with one service and the
// runit directory.
void write_config(const std::string& dir) {
    write_service(dir + "/runit/cron",
                  ServiceFiles(shell_script("touch " + dir + "/cron-ran\nexec sleep 100000")));
    write_text(dir + "/svinit.toml", R"(service-dirs = ["runit"]
[services.web]
command = ["/usr/local/bin/web", "--port", "8080"]
requires = ["cron"]
[services.web.readiness]
type = "notify"
timeout = "10s"
)");
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("svinit --check-config: a valid configuration exits 0 and starts nothing", "[config]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    write_config(harness.dir());

    Process svinit = harness.start({"--check-config", "--config", harness.dir() + "/svinit.toml"},
                                   {"touch", "main-ran"});
    const int status = svinit.wait(10s);
    INFO("stderr:\n" << svinit.stderr_text());
    CHECK(status == 0);
    const auto line = svinit.read_line(1s);
    CHECK(line == "svinit: the configuration is valid (" + harness.dir() +
                      "/svinit.toml): 2 services (1 TOML, 1 runit)");
    CHECK_FALSE(exists(harness.dir() + "/cron-ran"));
    CHECK_FALSE(exists(harness.dir() + "/main-ran"));
}

TEST_CASE("svinit --check-config: every error on stderr, exit 1", "[config]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    write_config(harness.dir());
    const std::string services_d = harness.dir() + "/services.d";
    write_text(harness.dir() + "/svinit.toml", R"(service-dirs = ["runit"]
toml-service-dirs = ["services.d"]
[services.cron]
command = ["/usr/sbin/cron"]
)");
    write_text(services_d + "/api.toml", R"(command = "/usr/bin/api --port 80"
requires = ["dbb"]
[restart]
policy = "alwayz"
)");
    write_text(services_d + "/db.toml", "command = [\"/usr/bin/db\"\n");

    Process svinit = harness.start({"--check-config", "--config", harness.dir() + "/svinit.toml"},
                                   {"touch", "main-ran"});
    const int status = svinit.wait(10s);
    CHECK(status == 1);
    const std::string& dir = harness.dir();
    CHECK(lines_of(svinit.stderr_text()) ==
          std::vector<std::string>{
              services_d +
                  "/api.toml:1:11: services.api.command: must be an array (argv, run without a "
                  "shell): write [\"/usr/bin/api\", \"--port\", \"80\"], or for shell syntax "
                  "[\"/bin/sh\", \"-c\", \"/usr/bin/api --port 80\"]",
              services_d + "/api.toml:4:10: services.api.restart.policy: expected one of always, "
                           "on-failure, never, got \"alwayz\"; did you mean \"always\"?",
              services_d +
                  "/db.toml:1:26: TOML syntax error: Error while parsing array: encountered "
                  "end-of-file",
              dir + "/runit/cron: service cron is defined twice: here and at " + dir +
                  "/svinit.toml:3:11",
              services_d + "/api.toml:2:13: services.api.requires: no service named \"dbb\"",
              "svinit: the configuration has 5 errors",
          });
    CHECK_FALSE(svinit.read_line(1s));  // nothing on stdout
    CHECK_FALSE(exists(dir + "/cron-ran"));
    CHECK_FALSE(exists(dir + "/main-ran"));
}

TEST_CASE("the file's service directories and control socket apply at start", "[config]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    write_config(harness.dir());
    write_text(harness.dir() + "/svinit.toml", R"(service-dirs = ["runit"]
control-socket = "file.sock"
)");
    // The main command succeeds only if svinit supervises runit/cron and listens on the
    // file's socket; svinit then exits with its status.
    const std::string svctl = std::string(SVINIT_BIN_DIR) + "/svctl";
    Process svinit = harness.start(
        {"--config", harness.dir() + "/svinit.toml"},
        {svctl, "--socket", harness.dir() + "/file.sock", "wait", "up", "--timeout", "10", "cron"});
    const int status = svinit.wait(30s);
    INFO("stderr:\n" << svinit.stderr_text());
    CHECK(status == 0);

    // A flag wins over the file.
    Process flagged = harness.start(
        {"--config", harness.dir() + "/svinit.toml", "--control-socket",
         harness.dir() + "/flag.sock"},
        {svctl, "--socket", harness.dir() + "/flag.sock", "wait", "up", "--timeout", "10", "cron"});
    const int flagged_status = flagged.wait(30s);
    INFO("stderr:\n" << flagged.stderr_text());
    CHECK(flagged_status == 0);
}

TEST_CASE("an invalid configuration at start: errors, exit 1, nothing run", "[config]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    write_config(harness.dir());
    write_text(harness.dir() + "/svinit.toml",
               "service-dirs = [\"runit\"]\nlog-levl = \"debug\"\n");

    Process svinit =
        harness.start({"--config", harness.dir() + "/svinit.toml"}, {"touch", "main-ran"});
    const int status = svinit.wait(10s);
    CHECK(status == 1);
    CHECK(
        lines_of(svinit.stderr_text()) ==
        std::vector<std::string>{
            harness.dir() + "/svinit.toml:2:1: log-levl: unknown key; did you mean \"log-level\"?",
            "svinit: the configuration has 1 error; nothing started"});
    CHECK_FALSE(exists(harness.dir() + "/main-ran"));
    CHECK_FALSE(exists(harness.dir() + "/cron-ran"));
}

TEST_CASE("TOML services run beside a main command, whose status svinit exits with", "[config]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    write_config(harness.dir());

    Process svinit =
        harness.start({"--config", harness.dir() + "/svinit.toml"}, {"sh", "-c", "exit 3"});
    const int status = svinit.wait(30s);
    CHECK(status == 3);
    CHECK_THAT(svinit.stderr_text(), !Catch::Contains("not supervised"));
}
