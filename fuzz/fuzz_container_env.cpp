// config/container_env.h: my_init's /etc/container_environment, for any bytes.
//
// Input: a flags byte, then NAME, VALUE, NAME, VALUE... separated by NUL bytes (neither
// can hold a NUL in an environment).
//  1. The writers, pure, on those pairs: the .json always parses, is ASCII, and gives back
//     every name and value that is valid UTF-8; the .sh, sourced by /bin/sh (dash), gives
//     back every exported value byte for byte.
//  2. The reader and writer on disk: the pairs become files in a fresh
//     etc/container_environment/, with odd entries beside them as the flags say (a
//     directory, a FIFO, symlinks, a NUL byte, '=' in a name). Importing makes the
//     environment exactly the readable files, one trailing "\n" dropped; exporting writes
//     every value back byte for byte, and .sh and .json as the pure writers make them.
// The process environment is saved and restored around step 2.

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "config/container_env.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/utf8.h"

namespace fs = std::filesystem;
namespace env = svinit::config;
using Entries = std::vector<std::pair<std::string, std::string>>;
using svinit::fuzz::is_valid_utf8;

namespace {

constexpr std::size_t kMaxEntries = 32;

// The pairs an environment can hold: a non-empty name without '=', the first of a name
// kept (as environment_entries() does).
Entries decode_entries(std::string_view input) {
    Entries entries;
    std::set<std::string> seen;
    while (!input.empty() && entries.size() < kMaxEntries) {
        const auto nul = input.find('\0');
        const std::string name(input.substr(0, nul));
        input = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
        const auto end = input.find('\0');
        std::string value(input.substr(0, end));
        input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
        if (name.empty() || name.find('=') != std::string::npos) continue;
        if (!seen.insert(name).second) continue;
        entries.emplace_back(name, std::move(value));
    }
    return entries;
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& file, std::string_view content) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return;
    (void)!::write(fd, content.data(), content.size());
    ::close(fd);
}

// Runs `/bin/sh -c script sh arg` in an empty environment; its stdout, or nullopt when it
// did not exit 0.
std::optional<std::string> run_sh(const std::string& script, const std::string& arg) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) std::abort();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    const char* argv[] = {"sh", "-c", script.c_str(), "sh", arg.c_str(), nullptr};
    char* envp[] = {nullptr};
    pid_t pid = 0;
    const int spawned =
        ::posix_spawn(&pid, "/bin/sh", &actions, nullptr, const_cast<char* const*>(argv), envp);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (spawned != 0) std::abort();
    std::string out;
    char buffer[65536];
    for (;;) {
        const ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        out.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    return out;
}

// The .sh's contract: what `. FILE` in sh gives, by shell name (a later name that
// sanitises to the same shell name wins, as the later line does). Left out: my_init's
// skip-list, names that cannot be a shell name, and sh's own OPTIND.
std::map<std::string, std::string> expected_shell_values(const Entries& entries) {
    std::map<std::string, std::string> values;
    for (const auto& [name, value] : entries) {
        if (env::is_export_skipped(name)) continue;
        const std::string shell_name = env::shell_env_name(name);
        if (shell_name.front() >= '0' && shell_name.front() <= '9') continue;
        if (shell_name == "OPTIND") continue;
        values[shell_name] = value;
    }
    return values;
}

void check_shell(const Entries& entries, const fs::path& dir) {
    const std::map<std::string, std::string> values = expected_shell_values(entries);
    const fs::path file = dir / "env.sh";
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out << env::environment_shell(entries);
    }
    std::string script = ". \"$1\" || exit 3\nprintf '%s\\0'";
    std::string expected;
    for (const auto& [name, value] : values) {
        script += " \"${" + name + "}\"";
        expected += value;
        expected += '\0';
    }
    if (values.empty()) script += " done", expected = std::string("done") + '\0';
    const auto got = run_sh(script, file.string());
    FUZZ_CHECK(got.has_value(), env::environment_shell(entries));
    FUZZ_CHECK(*got == expected, env::environment_shell(entries));
}

void check_json(const Entries& entries) {
    const std::string text = env::environment_json(entries);
    FUZZ_CHECK(
        std::ranges::all_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x80; }),
        text);
    nlohmann::json parsed;
    try {
        parsed = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        FUZZ_CHECK(false, std::string(e.what()) + ": " + text);
    }
    FUZZ_CHECK(parsed.is_object(), text);
    FUZZ_CHECK(parsed.size() <= entries.size(), text);
    // An invalid name becomes U+FFFD and may then collide with a valid one.
    if (!std::ranges::all_of(entries, [](const auto& e) { return is_valid_utf8(e.first); })) return;
    FUZZ_CHECK(parsed.size() == entries.size(), text);
    for (const auto& [name, value] : entries) {
        FUZZ_CHECK(parsed.contains(name), name);
        if (is_valid_utf8(value)) FUZZ_CHECK(parsed[name] == value, name);
    }
}

// ---- step 2: on disk

Entries saved_environment() {
    return env::environment_entries();
}

void restore_environment(const Entries& saved) {
    ::clearenv();
    for (const auto& [name, value] : saved) ::setenv(name.c_str(), value.c_str(), 1);
}

bool can_be_file_name(const std::string& name) {
    return name.size() <= 255 && name != "." && name != ".." && name.find('/') == std::string::npos;
}

struct EnvDir {
    Entries expected;     // what import must find, in name order
    std::size_t odd = 0;  // entries import must warn about
};

// An odd entry, made only under a name no pair took.
bool make_odd(const fs::path& path, int (*make)(const char*)) {
    return make(path.c_str()) == 0;
}

EnvDir make_env_dir(const fs::path& dir, const Entries& entries, std::uint8_t flags) {
    std::map<std::string, std::string> expected;
    for (const auto& [name, content] : entries) {
        if (!can_be_file_name(name)) continue;
        write_file(dir / name, content);
        std::string value = content;
        if (value.ends_with('\n')) value.pop_back();
        expected.emplace(name, std::move(value));
    }
    // Odd entries, which import skips with a warning (or, for a symlink, follows).
    EnvDir made;
    const auto count = [&made](bool created) { made.odd += created ? 1 : 0; };
    if ((flags & 0x01) != 0) {
        count(make_odd(dir / "ZZ_DIR", [](const char* p) { return ::mkdir(p, 0755); }));
    }
    if ((flags & 0x02) != 0) {
        count(make_odd(dir / "ZZ_FIFO", [](const char* p) { return ::mkfifo(p, 0644); }));
    }
    if ((flags & 0x04) != 0) {
        // The target has a '/', so no pair's file can be what it names (an entry called
        // "nowhere" once made a plain "nowhere" resolve).
        count(make_odd(dir / "ZZ_DANGLING", [](const char* p) { return ::symlink("no/where", p); }));
    }
    if ((flags & 0x10) != 0) {
        count(make_odd(dir / "ZZ_NUL", [](const char* p) {
            const int fd = ::open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd < 0) return -1;
            (void)!::write(fd, "a\0b", 3);
            return ::close(fd);
        }));
    }
    if ((flags & 0x20) != 0) write_file(dir / "ZZ=EQ", "x"), ++made.odd;  // no pair has '='
    if ((flags & 0x08) != 0 && !entries.empty() && expected.contains(entries[0].first) &&
        ::symlink(entries[0].first.c_str(), (dir / "ZZ_LINK").c_str()) == 0) {
        expected.emplace("ZZ_LINK", expected.at(entries[0].first));
    }
    made.expected.assign(expected.begin(), expected.end());
    return made;
}

void check_disk(const Entries& entries, const fs::path& root, std::uint8_t flags) {
    const env::ContainerEnvPaths paths = env::container_env_paths(root);
    fs::create_directories(paths.dir);
    const EnvDir made = make_env_dir(paths.dir, entries, flags);

    const Entries saved = saved_environment();
    const auto warnings = env::import_container_env(paths, env::kReimportAfterScript);
    const Entries imported = env::environment_entries();
    const auto exported = env::export_container_env(paths, true);
    restore_environment(saved);

    FUZZ_CHECK(warnings.has_value(), warnings ? "" : warnings.error().message());
    FUZZ_CHECK(imported == made.expected);
    FUZZ_CHECK(warnings->size() == made.odd, std::to_string(warnings->size()));
    FUZZ_CHECK(exported.has_value(), exported ? "" : exported.error().message());
    for (const auto& [name, value] : imported) {
        // my_init's skip-list keeps its file as it was.
        if (!env::is_export_skipped(name)) FUZZ_CHECK(read_file(paths.dir / name) == value, name);
    }
    FUZZ_CHECK(read_file(paths.sh) == env::environment_shell(imported));
    FUZZ_CHECK(read_file(paths.json) == env::environment_json(imported));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t flags = data[0];
    const Entries entries =
        decode_entries(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));

    std::string pattern = (fs::temp_directory_path() / "svinit-fuzz-env-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    const fs::path root = pattern;

    check_json(entries);
    check_shell(entries, root);
    check_disk(entries, root, flags);

    std::error_code ec;
    fs::remove_all(root, ec);
    FUZZ_CHECK(!ec, ec.message());
    return 0;
}
