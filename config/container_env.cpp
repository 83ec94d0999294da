#include "config/container_env.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <unordered_set>

#include "config/dir_listing.h"
#include "core/unique_fd.h"

extern char** environ;

namespace svinit::config {

namespace {

namespace fs = std::filesystem;
using Entries = std::vector<std::pair<std::string, std::string>>;

// NAME_MAX: a longer name cannot be a file in the directory.
constexpr std::size_t kMaxFileName = 255;

bool exists(const fs::path& path, int& err) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return true;
    err = (errno == ENOENT || errno == ENOTDIR) ? 0 : errno;
    return false;
}

bool can_be_file_name(std::string_view name) {
    return !name.empty() && name.size() <= kMaxFileName && name != "." && name != ".." &&
           name.find('/') == std::string_view::npos;
}

// The names in `dir`, sorted, at most kMaxEnvFiles of them (a warning says when there were more).
core::Result<std::vector<std::string>> list_names(const fs::path& dir,
                                                  std::vector<std::string>& warnings) {
    auto listing = list_dir(dir, kMaxEnvFiles, true);  // my_init's listdir shows hidden files
    if (listing.error) return core::error(listing.error.value(), "list " + dir.string());
    if (listing.truncated) {
        warnings.push_back(fmt::format("{}: more than {} files; the rest are ignored",
                                       dir.string(), kMaxEnvFiles));
    }
    return std::move(listing.names);
}

// `file`'s value: its bytes with one trailing "\n" dropped. The error message is the
// warning's text after the file name. `max_value` bounds the value (after the drop).
std::optional<std::string> read_value(const fs::path& file, std::size_t max_value,
                                      std::string& why) {
    // O_NONBLOCK: opening a FIFO must not block PID 1 (read() below never gets that far).
    core::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        why = fmt::format("cannot open: {}; skipped", std::strerror(errno));
        return std::nullopt;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        why = fmt::format("cannot stat: {}; skipped", std::strerror(errno));
        return std::nullopt;
    }
    if (S_ISDIR(st.st_mode)) {
        why = "is a directory; skipped";
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        why = "not a regular file; skipped";
        return std::nullopt;
    }
    std::string value;
    const std::size_t limit = max_value + 1;  // room for the "\n" that is dropped
    std::array<char, 8192> buffer{};
    while (value.size() <= limit) {
        const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            why = fmt::format("cannot read: {}; skipped", std::strerror(errno));
            return std::nullopt;
        }
        if (got == 0) break;
        value.append(buffer.data(), static_cast<std::size_t>(got));
    }
    if (value.ends_with('\n')) value.pop_back();
    if (value.size() > max_value) {
        why = fmt::format("NAME=VALUE is longer than {} bytes, more than execve accepts; skipped",
                          kMaxEnvEntryBytes);
        return std::nullopt;
    }
    if (value.find('\0') != std::string::npos) {
        why = "value contains a NUL byte; skipped";
        return std::nullopt;
    }
    return value;
}

// The first failure of a best-effort series, and how many there were.
struct Failures {
    std::optional<core::Error> first;
    std::size_t count = 0;

    void add(core::Result<void> result) {
        if (result) return;
        if (!first) first = std::move(result.error());
        ++count;
    }
    core::Result<void> result() const {
        if (!first) return {};
        core::Error error = *first;
        if (count > 1) error.context += fmt::format(" (and {} more failures)", count - 1);
        return std::unexpected(std::move(error));
    }
};

core::Result<void> write_all(int fd, std::string_view content, const std::string& what) {
    while (!content.empty()) {
        const ssize_t wrote = ::write(fd, content.data(), content.size());
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote < 0) return core::sys_error("write " + what);
        content.remove_prefix(static_cast<std::size_t>(wrote));
    }
    return {};
}

// As Python's open(file, "w").write(content): an existing file keeps its mode and owner, a
// new one gets 0666 & ~umask.
core::Result<void> write_in_place(const fs::path& file, std::string_view content) {
    core::UniqueFd fd(
        ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666));
    if (!fd) return core::sys_error("open " + file.string());
    if (auto ok = write_all(fd.get(), content, file.string()); !ok) return ok;
    if (::close(fd.release()) != 0) return core::sys_error("close " + file.string());
    return {};
}

// Replaces `file` atomically: readers see the old contents or the new, never a part. The
// temp file takes an existing file's mode and owner (baseimage ships the .sh and .json
// 0640 root:docker_env; widening that would leak the environment), else 0644.
core::Result<void> replace_file(fs::path file, std::string_view content) {
    struct stat old {};
    bool had_old = false;
    if (::lstat(file.c_str(), &old) == 0 && S_ISLNK(old.st_mode)) {
        // Write through a symlink, as open() does, rather than replacing it.
        std::error_code ec;
        fs::path target = fs::canonical(file, ec);
        if (!ec) file = std::move(target);
    }
    if (::stat(file.c_str(), &old) == 0) had_old = true;

    std::string temp = (file.parent_path() / ("." + file.filename().string() + ".XXXXXX")).string();
    core::UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (!fd) return core::sys_error("create a temporary file for " + file.string());
    auto fail = [&temp](core::Error error) -> core::Result<void> {
        ::unlink(temp.c_str());
        return std::unexpected(std::move(error));
    };
    struct stat fresh {};
    if (::fstat(fd.get(), &fresh) != 0) return fail({errno, "stat " + temp});
    if (had_old && (fresh.st_uid != old.st_uid || fresh.st_gid != old.st_gid) &&
        ::fchown(fd.get(), old.st_uid, old.st_gid) != 0) {
        return fail({errno, fmt::format("chown {} to {}:{} (as {})", temp, old.st_uid, old.st_gid,
                                        file.string())});
    }
    const mode_t mode = had_old ? (old.st_mode & 07777) : 0644;
    if (::fchmod(fd.get(), mode) != 0) return fail({errno, "chmod " + temp});
    if (auto ok = write_all(fd.get(), content, temp); !ok) return fail(ok.error());
    // No fsync: the files are rebuilt at every boot, and rename keeps readers consistent.
    if (::close(fd.release()) != 0) return fail({errno, "close " + temp});
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        return fail({errno, fmt::format("rename {} to {}", temp, file.string())});
    }
    return {};
}

bool is_word_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_shell_safe(char c) {
    return is_word_char(c) || std::string_view("@%+=:,./-").find(c) != std::string_view::npos;
}

std::string json_string(const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

}  // namespace

ContainerEnvPaths container_env_paths(const fs::path& root) {
    const fs::path etc = root / "etc";
    return {etc / "container_environment", etc / "container_environment.sh",
            etc / "container_environment.json"};
}

core::Result<std::vector<std::string>> import_container_env(const ContainerEnvPaths& paths,
                                                            ImportMode mode) {
    std::vector<std::string> warnings;
    int err = 0;
    if (!exists(paths.dir, err)) {
        if (err == 0) return warnings;
        return core::error(err, "stat " + paths.dir.string());
    }
    auto names = list_names(paths.dir, warnings);
    if (!names) return std::unexpected(names.error());

    // Everything is read before the environment changes: a failure above leaves it alone.
    Entries found;
    for (std::string& name : *names) {
        const fs::path file = paths.dir / name;
        if (name.empty() || name.find('=') != std::string::npos) {
            warnings.push_back(
                fmt::format("{}: not a variable name (contains '='); skipped", file.string()));
            continue;
        }
        std::string why;
        const std::size_t room = kMaxEnvEntryBytes - std::min(kMaxEnvEntryBytes, name.size() + 1);
        auto value = read_value(file, room, why);
        if (!value) {
            warnings.push_back(fmt::format("{}: {}", file.string(), why));
            continue;
        }
        found.emplace_back(std::move(name), std::move(*value));
    }

    if (mode.clear_first) ::clearenv();
    for (const auto& [name, value] : found) {
        if (!mode.override_existing && ::getenv(name.c_str()) != nullptr) continue;
        if (::setenv(name.c_str(), value.c_str(), 1) != 0) {
            warnings.push_back(fmt::format("{}: setenv: {}; skipped", (paths.dir / name).string(),
                                           std::strerror(errno)));
        }
    }
    return warnings;
}

core::Result<void> export_container_env(const ContainerEnvPaths& paths, bool write_dir) {
    int err = 0;
    if (!exists(paths.dir, err)) {
        if (err == 0) return {};
        return core::error(err, "stat " + paths.dir.string());
    }
    const Entries entries = environment_entries();
    Failures failures;
    if (write_dir) {
        for (const auto& [name, value] : entries) {
            if (is_export_skipped(name) || !can_be_file_name(name)) continue;
            failures.add(write_in_place(paths.dir / name, value));
        }
    }
    failures.add(replace_file(paths.sh, environment_shell(entries)));
    failures.add(replace_file(paths.json, environment_json(entries)));
    return failures.result();
}

Entries environment_entries() {
    Entries entries;
    std::unordered_set<std::string_view> seen;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto eq = text.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        const std::string_view name = text.substr(0, eq);
        // The views point into environ, which nothing changes while this runs.
        if (!seen.insert(name).second) continue;
        entries.emplace_back(std::string(name), std::string(text.substr(eq + 1)));
    }
    return entries;
}

bool is_export_skipped(std::string_view name) {
    static constexpr std::array<std::string_view, 6> kSkipped{"HOME", "USER", "GROUP",
                                                              "UID",  "GID",  "SHELL"};
    return std::ranges::find(kSkipped, name) != kSkipped.end();
}

std::string shell_env_name(std::string_view name) {
    std::string out(name);
    for (char& c : out) {
        if (!is_word_char(c)) c = '_';
    }
    return out;
}

std::string shell_quote(std::string_view value) {
    if (value.empty()) return "''";
    if (std::ranges::all_of(value, is_shell_safe)) return std::string(value);
    std::string out = "'";
    for (char c : value) {
        if (c == '\'') {
            out += "'\"'\"'";
        } else {
            out += c;
        }
    }
    out += '\'';
    return out;
}

std::string environment_shell(const Entries& entries) {
    std::string out;
    for (const auto& [name, value] : entries) {
        if (is_export_skipped(name)) continue;
        std::string shell_name = shell_env_name(name);
        // `export 1X=...` is an error that aborts the sourcing script in sh and bash.
        if (shell_name.empty() || (shell_name.front() >= '0' && shell_name.front() <= '9')) {
            continue;
        }
        // OPTIND is sh's getopts state: dash refuses any value but a number with an error
        // that aborts the script sourcing the file, and a number would reset its getopts.
        if (shell_name == "OPTIND") continue;
        out += "export ";
        out += shell_name;
        out += '=';
        out += shell_quote(value);
        out += '\n';
    }
    return out;
}

std::string environment_json(const Entries& entries) {
    // json.dumps's layout, built by hand: nlohmann's dump has no ", " / ": " separators,
    // and its objects would not keep the environment's order.
    std::string out = "{";
    for (const auto& [name, value] : entries) {
        if (out.size() > 1) out += ", ";
        out += json_string(name);
        out += ": ";
        out += json_string(value);
    }
    out += '}';
    return out;
}

}  // namespace svinit::config
