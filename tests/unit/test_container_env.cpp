#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/container_env.h"
#include "temp_tree.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using svinit::config::ContainerEnvPaths;
using svinit::config::environment_entries;
using svinit::config::environment_json;
using svinit::config::environment_shell;
using svinit::config::export_container_env;
using svinit::config::import_container_env;
using svinit::config::shell_env_name;
using svinit::config::shell_quote;
using svinit::test::TempDir;
using Entries = std::vector<std::pair<std::string, std::string>>;

// The functions under test work on the process environment: each test saves it, starts from
// an empty one and puts the saved one back on the way out, so other tests see no change.
class EnvGuard {
public:
    EnvGuard() {
        for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
            saved_.emplace_back(*entry);
        }
        ::clearenv();
    }
    ~EnvGuard() {
        ::clearenv();
        for (const std::string& entry : saved_) {
            const auto eq = entry.find('=');
            if (eq == std::string::npos || eq == 0) continue;
            // overwrite 0: for a name saved twice, the first stays, as getenv saw it.
            ::setenv(entry.substr(0, eq).c_str(), entry.c_str() + eq + 1, 0);
        }
    }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;

private:
    std::vector<std::string> saved_;
};

std::optional<std::string> env(const char* name) {
    const char* value = ::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& file, std::string_view content) {
    std::ofstream(file, std::ios::binary)
        .write(content.data(), static_cast<std::streamsize>(content.size()));
}

// A root with etc/container_environment/ holding `files`.
ContainerEnvPaths make_root(const TempDir& root, const Entries& files = {}) {
    ContainerEnvPaths paths = svinit::config::container_env_paths(root.path);
    fs::create_directories(paths.dir);
    for (const auto& [name, value] : files) write_bytes(paths.dir / name, value);
    return paths;
}

// Everything `command` (run by /bin/sh) writes to stdout, byte for byte.
std::string run_output(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buffer[4096];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        out.append(buffer, got);
    }
    CHECK(::pclose(pipe) == 0);
    return out;
}

mode_t file_mode(const fs::path& file) {
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("shell_quote leaves safe values bare and single-quotes the rest", "[container_env]") {
    const std::vector<std::pair<std::string, std::string>> table{
        {"", "''"},
        {"plain", "plain"},
        {"a-z_A-Z0-9@%+=:,./", "a-z_A-Z0-9@%+=:,./"},
        {"/usr/local/bin:/usr/bin", "/usr/local/bin:/usr/bin"},
        {"two words", "'two words'"},
        {"it's", "'it'\"'\"'s'"},
        {"'", "''\"'\"''"},
        {"say \"hi\"", "'say \"hi\"'"},
        {"$HOME", "'$HOME'"},
        {"`id`", "'`id`'"},
        {"back\\slash", "'back\\slash'"},
        {"line1\nline2", "'line1\nline2'"},
        {"tab\there", "'tab\there'"},
        {"caf\xc3\xa9", "'caf\xc3\xa9'"},  // [A-Za-z0-9_] only: UTF-8 is quoted
        {"\xff\xfe", "'\xff\xfe'"},
        {"~", "'~'"},
        {"a*b", "'a*b'"},
    };
    for (const auto& [value, quoted] : table) {
        INFO(value);
        CHECK(shell_quote(value) == quoted);
    }
}

TEST_CASE("shell_env_name turns every non-word byte into '_'", "[container_env]") {
    CHECK(shell_env_name("PATH") == "PATH");
    CHECK(shell_env_name("my_var_2") == "my_var_2");
    CHECK(shell_env_name("a-b.c d") == "a_b_c_d");
    CHECK(shell_env_name("caf\xc3\xa9") == "caf__");
    CHECK(shell_env_name("") == "");
}

TEST_CASE("the .sh has one export line per variable, my_init's skip-list left out",
          "[container_env]") {
    const Entries entries{{"PATH", "/bin:/usr/bin"},
                          {"HOME", "/root"},
                          {"A-B", "x y"},
                          {"USER", "root"},
                          {"GROUP", "g"},
                          {"UID", "0"},
                          {"GID", "0"},
                          {"SHELL", "/bin/sh"},
                          {"EMPTY", ""},
                          {"1BAD", "v"}};
    CHECK(environment_shell(entries) ==
          "export PATH=/bin:/usr/bin\n"
          "export A_B='x y'\n"
          "export EMPTY=''\n");
}

TEST_CASE("environment_json is json.dumps's layout, ASCII only, valid for any bytes",
          "[container_env]") {
    CHECK(environment_json({}) == "{}");
    CHECK(environment_json({{"A", "1"}, {"B", "x\"y\\z\n"}}) == R"({"A": "1", "B": "x\"y\\z\n"})");
    CHECK(environment_json({{"E", "caf\xc3\xa9 \xf0\x9f\x98\x80\x7f"}}) ==
          R"({"E": "caf\u00e9 \ud83d\ude00\u007f"})");
    // Order is the environment's, not sorted.
    CHECK(environment_json({{"Z", ""}, {"A", ""}}) == R"({"Z": "", "A": ""})");

    const std::string json =
        environment_json({{"BAD", "a\xff\xfe-b"}, {"K\xc3", "cut"}, {"OK", "caf\xc3\xa9"}});
    CHECK(json == R"({"BAD": "a\ufffd\ufffd-b", "K\ufffd": "cut", "OK": "caf\u00e9"})");
    const auto parsed = nlohmann::json::parse(json);
    CHECK(parsed.at("BAD") == "a\xef\xbf\xbd\xef\xbf\xbd-b");
    CHECK(parsed.at("OK") == "caf\xc3\xa9");
}

TEST_CASE("import fills in what is not set and drops one trailing newline", "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    const auto paths = make_root(root, {{"FOO", "new\n"},
                                        {"BAR", "bar"},
                                        {"TWO", "a\n\n"},
                                        {"NL", "\n"},
                                        {"CRLF", "x\r\n"},
                                        {"EMPTY", ""},
                                        {"BYTES", "\xff\xfe\x01 'q' $x"}});
    ::setenv("FOO", "orig", 1);

    auto warnings = import_container_env(paths, svinit::config::kImportAtBoot);
    REQUIRE(warnings);
    CHECK(warnings->empty());
    CHECK(env("FOO") == "orig");
    CHECK(env("BAR") == "bar");
    CHECK(env("TWO") == "a\n");
    CHECK(env("NL") == "");
    CHECK(env("CRLF") == "x\r");
    CHECK(env("EMPTY") == "");
    CHECK(env("BYTES") == "\xff\xfe\x01 'q' $x");
}

TEST_CASE("import with clear and override makes the environment the directory", "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    const auto paths = make_root(root, {{"FOO", "new"}, {"BAR", "bar\n"}});
    ::setenv("FOO", "orig", 1);
    ::setenv("OTHER", "gone", 1);

    auto warnings = import_container_env(paths, svinit::config::kReimportAfterScript);
    REQUIRE(warnings);
    CHECK(warnings->empty());
    CHECK(env("FOO") == "new");
    CHECK(env("BAR") == "bar");
    CHECK(env("OTHER") == std::nullopt);
    CHECK(environment_entries().size() == 2);
}

TEST_CASE("import skips what cannot be a variable and says which file", "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    const auto paths = make_root(root, {{"GOOD", "yes"}, {"A=B", "x"}, {"NUL", "a\0b"s}});
    fs::create_directories(paths.dir / "SUBDIR");
    REQUIRE(::mkfifo((paths.dir / "FIFO").c_str(), 0600) == 0);
    write_bytes(paths.dir / "HUGE", std::string(svinit::config::kMaxEnvEntryBytes, 'x'));
    const bool root_user = ::geteuid() == 0;
    if (!root_user) {
        write_bytes(paths.dir / "LOCKED", "secret");
        fs::permissions(paths.dir / "LOCKED", fs::perms::none);
    }

    auto warnings = import_container_env(paths, svinit::config::kReimportAfterScript);
    REQUIRE(warnings);
    CHECK(env("GOOD") == "yes");
    CHECK(env("NUL") == std::nullopt);
    CHECK(env("SUBDIR") == std::nullopt);
    CHECK(env("FIFO") == std::nullopt);
    CHECK(env("HUGE") == std::nullopt);
    CHECK(env("LOCKED") == std::nullopt);
    CHECK(environment_entries().size() == 1);

    const std::string dir = paths.dir.string();
    std::vector<std::string> expected{
        dir + "/A=B: not a variable name (contains '='); skipped",
        dir + "/FIFO: not a regular file; skipped",
        dir + "/HUGE: NAME=VALUE is longer than 131071 bytes, more than execve accepts; skipped",
        dir + "/NUL: value contains a NUL byte; skipped",
        dir + "/SUBDIR: is a directory; skipped",
    };
    if (!root_user) {
        expected.insert(expected.begin() + 2,
                        dir + "/LOCKED: cannot open: Permission denied; skipped");
    }
    CHECK(*warnings == expected);
}

TEST_CASE("import: nothing without the directory, an error when it cannot be listed",
          "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    ::setenv("KEEP", "1", 1);
    const auto paths = svinit::config::container_env_paths(root.path);
    auto none = import_container_env(paths, svinit::config::kReimportAfterScript);
    REQUIRE(none);
    CHECK(none->empty());
    CHECK(env("KEEP") == "1");

    fs::create_directories(paths.dir.parent_path());
    write_bytes(paths.dir, "not a directory");
    auto failed = import_container_env(paths, svinit::config::kReimportAfterScript);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message().starts_with("list " + paths.dir.string()));
    CHECK(env("KEEP") == "1");
}

TEST_CASE("export writes exact bytes, leaves out the skip-list, and .json holds everything",
          "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    const auto paths = make_root(root);
    for (const char* name : {"HOME", "USER", "GROUP", "UID", "GID", "SHELL"}) {
        ::setenv(name, "skipped", 1);
    }
    ::setenv("FOO", "two\nlines\n", 1);
    ::setenv("BAD", "\xff\xfe", 1);
    ::setenv("A-B", "dash", 1);

    REQUIRE(export_container_env(paths, true));
    CHECK(read_file(paths.dir / "FOO") == "two\nlines\n");
    CHECK(read_file(paths.dir / "BAD") == "\xff\xfe");
    CHECK(read_file(paths.dir / "A-B") == "dash");
    for (const char* name : {"HOME", "USER", "GROUP", "UID", "GID", "SHELL"}) {
        INFO(name);
        CHECK_FALSE(fs::exists(paths.dir / name));
    }
    const std::string sh = read_file(paths.sh);
    CHECK(sh.find("HOME") == std::string::npos);
    CHECK(sh.find("export FOO='two\nlines\n'\n") != std::string::npos);
    CHECK(sh.find("export A_B=dash\n") != std::string::npos);

    const auto json = nlohmann::json::parse(read_file(paths.json));
    CHECK(json.size() == 9);
    CHECK(json.at("HOME") == "skipped");
    CHECK(json.at("BAD") == "\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(json.at("FOO") == "two\nlines\n");
    CHECK(file_mode(paths.sh) == 0644);
    CHECK(file_mode(paths.json) == 0644);
    // Nothing but the two files was left next to them (no temp files).
    CHECK(std::distance(fs::directory_iterator(paths.sh.parent_path()), fs::directory_iterator()) ==
          3);

    // Read back, a value ending in "\n" loses it, as with my_init (files are written
    // without adding one, and one is dropped on import).
    ::clearenv();
    REQUIRE(import_container_env(paths, svinit::config::kReimportAfterScript));
    CHECK(env("FOO") == "two\nlines");
    CHECK(env("BAD") == "\xff\xfe");
}

TEST_CASE("export without write_dir, without the directory, and over files whose mode is kept",
          "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    const auto paths = svinit::config::container_env_paths(root.path);
    ::setenv("FOO", "1", 1);
    REQUIRE(export_container_env(paths, true));
    CHECK_FALSE(fs::exists(paths.sh));
    CHECK_FALSE(fs::exists(paths.json));

    fs::create_directories(paths.dir);
    write_bytes(paths.sh, "old");
    fs::permissions(paths.sh,
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    REQUIRE(export_container_env(paths, false));
    CHECK(fs::is_empty(paths.dir));
    CHECK(read_file(paths.sh) == "export FOO=1\n");
    CHECK(file_mode(paths.sh) == 0640);
    CHECK(read_file(paths.json) == R"({"FOO": "1"})");
}

TEST_CASE("sh and bash read back every value of the .sh byte for byte", "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    const auto paths = make_root(root);
    const std::vector<std::string> values{
        "",
        "plain-safe_value:1,2/3.4@5%6+7=8",
        "two words",
        "it's",
        "'",
        "''",
        "say \"hi\"",
        "$HOME ${x} $(id)",
        "`id`",
        "back\\slash\\",
        "line1\nline2",
        "trailing\n\n",
        "\n",
        "tab\there",
        "caf\xc3\xa9 \xf0\x9f\x98\x80",
        "\xff\xfe",
        "\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a",  // dash's internal control bytes
        "\x01\x1b[0m\x7f",
        "!bang *glob? ~tilde #hash ;&|<>(){}[]",
        "-n",
        "%s %b \\n",
    };
    for (std::size_t i = 0; i < values.size(); ++i) {
        ::setenv(('V' + std::to_string(i)).c_str(), values[i].c_str(), 1);
    }
    REQUIRE(export_container_env(paths, false));

    for (const char* shell : {"/bin/sh", "/bin/bash"}) {
        if (::access(shell, X_OK) != 0) {
            WARN(shell << " not found");
            continue;
        }
        for (std::size_t i = 0; i < values.size(); ++i) {
            INFO(shell << " V" << i << " = " << values[i]);
            // env -i: the values must come from the file, not from this process.
            const std::string command = "/usr/bin/env -i " + std::string(shell) + " -c '. " +
                                        paths.sh.string() + " && printf %s \"$V" +
                                        std::to_string(i) + "\"'";
            CHECK(run_output(command) == values[i]);
        }
    }
}

TEST_CASE("the .sh leaves out OPTIND, which made sh abort the script sourcing it",
          "[container_env]") {
    EnvGuard guard;
    TempDir root("svinit-env");
    const auto paths = make_root(root);
    // dash: `export OPTIND=abc` is "Illegal number", a special builtin's error, so the
    // shell sourcing the file exits and every variable after it was lost.
    ::setenv("OPTIND", "abc", 1);
    ::setenv("AFTER", "still here", 1);
    REQUIRE(export_container_env(paths, false));
    // dash will not even start with it in its environment (popen runs sh).
    ::unsetenv("OPTIND");
    const std::string sh = read_file(paths.sh);
    CHECK(sh.find("OPTIND") == std::string::npos);
    CHECK(sh.find("export AFTER='still here'") != std::string::npos);
    const std::string command =
        "/usr/bin/env -i /bin/sh -c '. " + paths.sh.string() + " && printf %s \"$AFTER\"'";
    CHECK(run_output(command) == "still here");
    // Kept where no shell reads it as its own.
    CHECK(nlohmann::json::parse(read_file(paths.json)).at("OPTIND") == "abc");
}
