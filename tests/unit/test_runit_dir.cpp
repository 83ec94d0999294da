// scan_service_dirs on real temporary directories: what makes a service, what is skipped
// silently, and what becomes a Diagnostic naming the file.

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/runit_dir.h"
#include "temp_tree.h"

namespace fs = std::filesystem;
using svinit::config::scan_service_dirs;
using svinit::config::ScanResult;
using svinit::services::Diagnostic;
using svinit::services::ProcessSpec;
using svinit::services::ServiceSpec;
using namespace svinit::test;

namespace {

ScanResult scan(const std::vector<fs::path>& dirs) {
    return scan_service_dirs(dirs);
}
ScanResult scan(const fs::path& dir) {
    return scan(std::vector<fs::path>{dir});
}

std::vector<std::string> names(const ScanResult& result) {
    std::vector<std::string> out;
    for (const auto& service : result.services) out.push_back(service.name);
    return out;
}

std::string describe_all(const ScanResult& result) {
    std::string out;
    for (const auto& diag : result.diagnostics) out += diag.describe() + "\n";
    return out;
}

}  // namespace

TEST_CASE("a directory with an executable run is a service", "[config]") {
    TempDir tmp("svinit-runit");
    make_service(tmp.path / "web");

    const ScanResult result = scan(tmp.path);
    INFO(describe_all(result));
    CHECK(result.diagnostics.empty());
    REQUIRE(result.services.size() == 1);
    const ServiceSpec expected{
        "web", ProcessSpec{tmp.path / "web", tmp.path / "web" / "run", {}, false, {}}, {}};
    CHECK(result.services[0] == expected);
}

TEST_CASE("a directory without run is skipped silently, and so is a plain file", "[config]") {
    TempDir tmp("svinit-runit");
    fs::create_directories(tmp.path / "not-yet");
    write_file(tmp.path / "not-yet" / "finish", kExecutable);
    write_file(tmp.path / "README", kExecutable);

    const ScanResult result = scan(tmp.path);
    CHECK(result.services.empty());
    CHECK(result.diagnostics.empty());
}

TEST_CASE("a run that is not executable is a diagnostic naming the file", "[config]") {
    TempDir tmp("svinit-runit");
    write_file(tmp.path / "web" / "run", kPlain);
    make_service(tmp.path / "db");

    const ScanResult result = scan(tmp.path);
    CHECK(names(result) == std::vector<std::string>{"db"});
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == tmp.path / "web" / "run");
    CHECK(result.diagnostics[0].describe() ==
          (tmp.path / "web" / "run").string() + ": not executable (chmod +x)");
}

TEST_CASE("a run that is not a regular file is a diagnostic", "[config]") {
    TempDir tmp("svinit-runit");
    fs::create_directories(tmp.path / "web" / "run");

    const ScanResult result = scan(tmp.path);
    CHECK(result.services.empty());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == tmp.path / "web" / "run");
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("not a regular file"));
}

TEST_CASE("a dangling run, finish or log/run symlink is a diagnostic like any broken run",
          "[config]") {
    TempDir tmp("svinit-runit");
    fs::create_directories(tmp.path / "web");
    fs::create_symlink("/nonexistent/web-run", tmp.path / "web" / "run");
    make_service(tmp.path / "db");
    fs::create_symlink("finish.typo", tmp.path / "db" / "finish");
    fs::create_directories(tmp.path / "db" / "log");
    fs::create_symlink("../run.typo", tmp.path / "db" / "log" / "run");

    const ScanResult result = scan(tmp.path);
    INFO(describe_all(result));
    REQUIRE(names(result) == std::vector<std::string>{"db"});
    CHECK_FALSE(result.services[0].main.finish.has_value());
    CHECK_FALSE(result.services[0].log.has_value());
    REQUIRE(result.diagnostics.size() == 3);
    // Before, the dangling web/run was skipped without a word, as if there were no run.
    CHECK(result.diagnostics[0].describe() ==
          (tmp.path / "db" / "finish").string() + ": dangling symlink; ignored");
    CHECK(result.diagnostics[1].describe() ==
          (tmp.path / "db" / "log" / "run").string() + ": dangling symlink; no logger");
    CHECK(result.diagnostics[2].describe() ==
          (tmp.path / "web" / "run").string() + ": dangling symlink");
}

TEST_CASE("a service name with a control character is refused, the directory named escaped",
          "[config]") {
    TempDir tmp("svinit-runit");
    make_service(tmp.path / "we\nb");  // would split `sv status` into two lines
    make_service(tmp.path / "tab\there");
    make_service(tmp.path / "esc\x1b[31m");
    make_service(tmp.path / "del\x7f");
    fs::create_directories(tmp.path / "bare\ndir");  // no run: not a service, no word
    make_service(tmp.path / "caf\xc3\xa9");          // bytes >= 0x80 are fine
    make_service(tmp.path / "web");

    const ScanResult result = scan(tmp.path);
    INFO(describe_all(result));
    CHECK(names(result) == std::vector<std::string>{"caf\xc3\xa9", "web"});
    std::vector<std::string> described;
    for (const auto& diag : result.diagnostics) {
        described.push_back(diag.describe());
        CHECK(described.back().find('\n') == std::string::npos);
        CHECK_THAT(diag.message, Catch::Contains("control character"));
    }
    const std::string dir = tmp.path.string();
    CHECK(described == std::vector<std::string>{
                           dir + "/del\\x7f: " + result.diagnostics[0].message,
                           dir + "/esc\\x1b[31m: " + result.diagnostics[0].message,
                           dir + "/tab\\there: " + result.diagnostics[0].message,
                           dir + "/we\\nb: " + result.diagnostics[0].message,
                       });
}

TEST_CASE("finish is used when executable, ignored with a diagnostic when not", "[config]") {
    TempDir tmp("svinit-runit");
    make_service(tmp.path / "good");
    write_file(tmp.path / "good" / "finish", kExecutable);
    make_service(tmp.path / "bad");
    write_file(tmp.path / "bad" / "finish", kPlain);

    const ScanResult result = scan(tmp.path);
    REQUIRE(names(result) == std::vector<std::string>{"bad", "good"});
    CHECK_FALSE(result.services[0].main.finish.has_value());
    CHECK(result.services[1].main.finish == tmp.path / "good" / "finish");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == tmp.path / "bad" / "finish");
    CHECK_THAT(result.diagnostics[0].message, Catch::StartsWith("not executable (chmod +x)"));
}

TEST_CASE("a down file makes the service normally down", "[config]") {
    TempDir tmp("svinit-runit");
    make_service(tmp.path / "web");
    write_file(tmp.path / "web" / "down", kPlain, "");
    make_service(tmp.path / "db");

    const ScanResult result = scan(tmp.path);
    REQUIRE(names(result) == std::vector<std::string>{"db", "web"});
    CHECK_FALSE(result.services[0].main.normally_down);
    CHECK(result.services[1].main.normally_down);
}

TEST_CASE("log/run is a logger with its own dir, finish and down", "[config]") {
    TempDir tmp("svinit-runit");
    const fs::path web = tmp.path / "web";
    make_service(web);
    write_file(web / "log" / "run", kExecutable);
    write_file(web / "log" / "finish", kExecutable);
    write_file(web / "log" / "down", kPlain, "");

    const ScanResult result = scan(tmp.path);
    INFO(describe_all(result));
    CHECK(result.diagnostics.empty());
    REQUIRE(result.services.size() == 1);
    const ServiceSpec& spec = result.services[0];
    CHECK_FALSE(spec.main.normally_down);
    CHECK_FALSE(spec.main.finish.has_value());
    REQUIRE(spec.log.has_value());
    CHECK(*spec.log == ProcessSpec{web / "log", web / "log" / "run", web / "log" / "finish", true, {}});
}

TEST_CASE("an unusable log/ is a diagnostic and the service runs without a logger", "[config]") {
    TempDir tmp("svinit-runit");
    make_service(tmp.path / "empty-log");
    fs::create_directories(tmp.path / "empty-log" / "log");
    make_service(tmp.path / "plain-log");
    write_file(tmp.path / "plain-log" / "log" / "run", kPlain);
    make_service(tmp.path / "file-log");
    write_file(tmp.path / "file-log" / "log", kPlain);

    const ScanResult result = scan(tmp.path);
    REQUIRE(names(result) == std::vector<std::string>{"empty-log", "file-log", "plain-log"});
    for (const auto& service : result.services) CHECK_FALSE(service.log.has_value());

    std::vector<fs::path> files;
    for (const auto& diag : result.diagnostics) files.push_back(diag.file);
    CHECK(files == std::vector<fs::path>{tmp.path / "empty-log" / "log",
                                         tmp.path / "file-log" / "log",
                                         tmp.path / "plain-log" / "log" / "run"});
}

TEST_CASE("a symlink to a service directory counts, under its own path", "[config]") {
    TempDir tmp("svinit-runit");
    const fs::path services = tmp.path / "service";
    const fs::path available = tmp.path / "sv";
    make_service(available / "web");
    write_file(available / "web" / "log" / "run", kExecutable);
    fs::create_directories(services);
    fs::create_directory_symlink(available / "web", services / "web");
    fs::create_directory_symlink(available / "typo", services / "dangling");

    const ScanResult result = scan(services);
    REQUIRE(names(result) == std::vector<std::string>{"web"});
    CHECK(result.services[0].main.dir == services / "web");
    CHECK(result.services[0].main.run == services / "web" / "run");
    REQUIRE(result.services[0].log.has_value());
    CHECK(result.services[0].log->dir == services / "web" / "log");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == services / "dangling");
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("dangling symlink"));
}

TEST_CASE("hidden entries are skipped", "[config]") {
    TempDir tmp("svinit-runit");
    make_service(tmp.path / ".hidden");
    write_file(tmp.path / ".broken" / "run", kPlain);
    make_service(tmp.path / "web");

    const ScanResult result = scan(tmp.path);
    CHECK(names(result) == std::vector<std::string>{"web"});
    CHECK(result.diagnostics.empty());
}

TEST_CASE("a name in several directories: the first wins, the later ones are reported",
          "[config]") {
    TempDir tmp("svinit-runit");
    const fs::path first = tmp.path / "a";
    const fs::path second = tmp.path / "b";
    make_service(first / "web");
    make_service(second / "web");
    make_service(second / "db");
    // Not a service in the first directory: the second one's counts, silently.
    fs::create_directories(first / "cache");
    make_service(second / "cache");

    const ScanResult result = scan(std::vector<fs::path>{first, second});
    REQUIRE(names(result) == std::vector<std::string>{"cache", "db", "web"});
    CHECK(result.services[0].main.dir == second / "cache");
    CHECK(result.services[2].main.dir == first / "web");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == second / "web");
    CHECK_THAT(result.diagnostics[0].message,
               Catch::Contains("duplicate") && Catch::Contains((first / "web").string()));
}

TEST_CASE("a missing directory is a diagnostic, and the others are still read", "[config]") {
    TempDir tmp("svinit-runit");
    make_service(tmp.path / "present" / "web");

    const ScanResult result =
        scan(std::vector<fs::path>{tmp.path / "missing", tmp.path / "present"});
    CHECK(names(result) == std::vector<std::string>{"web"});
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == tmp.path / "missing");
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("cannot read service directory"));
}

TEST_CASE("an unreadable directory is a diagnostic", "[config]") {
    if (::geteuid() == 0) {
        WARN("skipped: root reads any directory");
        return;
    }
    TempDir tmp("svinit-runit");
    make_service(tmp.path / "locked" / "web");
    fs::permissions(tmp.path / "locked", fs::perms::none);

    const ScanResult result = scan(tmp.path / "locked");
    fs::permissions(tmp.path / "locked", fs::perms::owner_all);
    CHECK(result.services.empty());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == tmp.path / "locked");
}

TEST_CASE("services are sorted by name across directories", "[config]") {
    TempDir tmp("svinit-runit");
    for (const char* name : {"zeta", "alpha", "mike"}) make_service(tmp.path / "a" / name);
    for (const char* name : {"delta", "bravo"}) make_service(tmp.path / "b" / name);

    const ScanResult result = scan(std::vector<fs::path>{tmp.path / "a", tmp.path / "b"});
    CHECK(names(result) == std::vector<std::string>{"alpha", "bravo", "delta", "mike", "zeta"});
    CHECK(result.diagnostics.empty());
}

TEST_CASE("services beyond the bound are left out with one diagnostic", "[config]") {
    TempDir tmp("svinit-runit");
    for (const char* name : {"e", "d", "c", "b", "a"}) make_service(tmp.path / name);

    const std::vector<fs::path> dirs{tmp.path};
    const ScanResult result = scan_service_dirs(dirs, 3);
    CHECK(names(result) == std::vector<std::string>{"a", "b", "c"});
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].file == tmp.path / "d");
    CHECK_THAT(result.diagnostics[0].message, Catch::Contains("more than 3 services"));
}

TEST_CASE("control/C scripts that are executable are the service's, not the logger's",
          "[config][control]") {
    TempDir tmp("svinit-runit");
    const fs::path web = tmp.path / "web";
    make_service(web);
    write_file(web / "control" / "t", kExecutable);
    write_file(web / "control" / "d", kExecutable);
    write_file(web / "control" / "h", kPlain, "");  // not executable: a diagnostic
    write_file(web / "control" / "o", kExecutable);  // runsv never runs control/o
    write_file(web / "log" / "run", kExecutable);
    write_file(web / "log" / "control" / "t", kExecutable);

    const ScanResult result = scan(tmp.path);
    REQUIRE(result.services.size() == 1);
    const ServiceSpec& spec = result.services[0];
    CHECK(spec.main.control ==
          std::map<char, fs::path>{{'d', web / "control" / "d"}, {'t', web / "control" / "t"}});
    REQUIRE(spec.log);
    CHECK(spec.log->control.empty());
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].describe() ==
          (web / "control" / "h").string() + ": not executable (chmod +x); ignored");
}
