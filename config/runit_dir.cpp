#include "config/runit_dir.h"

#include "config/dir_listing.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace svinit::config {

namespace {

namespace fs = std::filesystem;
using services::Diagnostic;
using services::ProcessSpec;
using services::ServiceSpec;

// stat(2) directly: the std::filesystem error_code overloads blur "missing" and
// "failed", and a missing file is the normal case here.
enum class Kind { Missing, Directory, Regular, Other, Failed };

struct FileKind {
    Kind kind = Kind::Missing;
    int err = 0;  // errno when kind is Failed
};

FileKind stat_kind(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return {Kind::Missing, 0};
        return {Kind::Failed, errno};
    }
    if (S_ISDIR(st.st_mode)) return {Kind::Directory, 0};
    if (S_ISREG(st.st_mode)) return {Kind::Regular, 0};
    return {Kind::Other, 0};
}

bool is_link(const fs::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

void add(std::vector<Diagnostic>& out, fs::path file, std::string message) {
    out.push_back(Diagnostic{std::move(file), 0, std::move(message)});
}

// `consequence` is appended to the message: what svinit does about the problem.
enum class Usability { Missing, Usable, Unusable };

Usability check_program(const fs::path& file, std::string_view consequence,
                        std::vector<Diagnostic>& diags) {
    const FileKind found = stat_kind(file);
    switch (found.kind) {
        case Kind::Missing:
            // A symlink to nothing is a mistake worth naming (a typo in `ln -s`).
            if (!is_link(file)) return Usability::Missing;
            add(diags, file, fmt::format("dangling symlink{}", consequence));
            return Usability::Unusable;
        case Kind::Failed:
            add(diags, file,
                fmt::format("cannot stat: {}{}", std::strerror(found.err), consequence));
            return Usability::Unusable;
        case Kind::Directory:
        case Kind::Other:
            add(diags, file, fmt::format("not a regular file{}", consequence));
            return Usability::Unusable;
        case Kind::Regular:
            break;
    }
    // access() rather than mode bits: it answers for svinit's own credentials and sees
    // a noexec mount.
    if (::access(file.c_str(), X_OK) != 0) {
        if (errno == EACCES) {
            add(diags, file, fmt::format("not executable (chmod +x){}", consequence));
        } else {
            add(diags, file,
                fmt::format("cannot execute: {}{}", std::strerror(errno), consequence));
        }
        return Usability::Unusable;
    }
    return Usability::Usable;
}

// A `run` is there, usable or not (a dangling symlink counts: it deserves a diagnostic).
bool has_run(const fs::path& dir) {
    const fs::path run = dir / "run";
    return stat_kind(run).kind != Kind::Missing || is_link(run);
}

// `dir`'s run, finish and down. nullopt when `run` is missing or unusable.
std::optional<ProcessSpec> read_process(const fs::path& dir, std::string_view run_consequence,
                                        std::vector<Diagnostic>& diags) {
    ProcessSpec spec;
    spec.dir = dir;
    spec.run = dir / "run";
    if (check_program(spec.run, run_consequence, diags) != Usability::Usable) return std::nullopt;
    fs::path finish = dir / "finish";
    if (check_program(finish, "; ignored", diags) == Usability::Usable) {
        spec.finish = std::move(finish);
    }
    // Any kind of file will do, as for runsv (it stat()s "down").
    spec.normally_down = stat_kind(dir / "down").kind != Kind::Missing;
    return spec;
}

// NAME/control/C: the control scripts that are there and executable. One stat when the
// service has no control/ (the common case).
std::map<char, fs::path> read_control(const fs::path& service_dir,
                                      std::vector<Diagnostic>& diags) {
    std::map<char, fs::path> scripts;
    const fs::path dir = service_dir / "control";
    if (stat_kind(dir).kind != Kind::Directory) return scripts;
    for (const char* c = kControlScripts; *c != 0; ++c) {
        fs::path file = dir / std::string(1, *c);
        if (check_program(file, "; ignored", diags) == Usability::Usable) {
            scripts.emplace(*c, std::move(file));
        }
    }
    return scripts;
}

// NAME/log/: the logger, when there is one and it is usable.
std::optional<ProcessSpec> read_logger(const fs::path& service_dir,
                                       std::vector<Diagnostic>& diags) {
    const fs::path log_dir = service_dir / "log";
    const FileKind found = stat_kind(log_dir);
    switch (found.kind) {
        case Kind::Missing:
            return std::nullopt;
        case Kind::Failed:
            add(diags, log_dir,
                fmt::format("cannot stat: {}; no logger", std::strerror(found.err)));
            return std::nullopt;
        case Kind::Regular:
        case Kind::Other:
            add(diags, log_dir, "not a directory; no logger");
            return std::nullopt;
        case Kind::Directory:
            break;
    }
    if (!has_run(log_dir)) {
        add(diags, log_dir, "has no run file; no logger");
        return std::nullopt;
    }
    return read_process(log_dir, "; no logger", diags);
}

// A byte that cannot stand in a service name: sv's status output is one line per service
// ("run: NAME: ..."), and a newline or escape sequence in NAME would split or forge lines
// there and in svinit's log.
bool is_control(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

// `name` with its control characters written as C escapes, for diagnostics.
std::string escaped_name(std::string_view name) {
    std::string out;
    for (const char c : name) {
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (is_control(c)) {
                    out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
                } else {
                    out += c;
                }
        }
    }
    return out;
}

// DIR/NAME, whose name has a control character: never a service. Said once it looks like
// one (a directory with a `run`), as a bare directory is not worth a word.
void refuse_control_name(const fs::path& dir, std::string_view name,
                         std::vector<Diagnostic>& diags) {
    const fs::path service_dir = dir / name;
    if (stat_kind(service_dir).kind != Kind::Directory || !has_run(service_dir)) return;
    add(diags, dir / escaped_name(name),
        "a service name cannot hold a control character (newline, tab, ...); ignored: "
        "rename the directory");
}

// DIR's entry names, hidden ones left out, sorted so that results (and which entries a
// bound cuts off) do not depend on the order the file system lists them in.
std::vector<std::string> list_names(const fs::path& dir, std::vector<Diagnostic>& diags) {
    auto listing = list_dir(dir, kMaxEntriesPerDir, false);
    if (listing.truncated) {
        add(diags, dir, fmt::format("more than {} entries; the rest are ignored", kMaxEntriesPerDir));
    }
    if (listing.error) {
        add(diags, dir, fmt::format("cannot read service directory: {}", listing.error.message()));
    }
    return std::move(listing.names);
}

}  // namespace

ScanResult scan_service_dirs(std::span<const fs::path> dirs, std::size_t max_services) {
    ScanResult result;
    auto& diags = result.diagnostics;
    std::map<std::string, fs::path, std::less<>> taken;  // name -> the service dir that has it

    for (const fs::path& dir : dirs) {
        for (const std::string& name : list_names(dir, diags)) {
            if (std::ranges::any_of(name, is_control)) {
                refuse_control_name(dir, name, diags);
                continue;
            }
            const fs::path service_dir = dir / name;
            const FileKind found = stat_kind(service_dir);
            if (found.kind == Kind::Failed) {
                add(diags, service_dir, fmt::format("cannot stat: {}", std::strerror(found.err)));
                continue;
            }
            if (found.kind == Kind::Missing) {
                if (is_link(service_dir)) add(diags, service_dir, "dangling symlink; ignored");
                continue;
            }
            if (found.kind != Kind::Directory) continue;

            if (const auto first = taken.find(name); first != taken.end()) {
                // Only a would-be service is a duplicate; a bare directory is nothing.
                if (has_run(service_dir)) {
                    add(diags, service_dir,
                        fmt::format("duplicate service name, {} is used; ignored",
                                    first->second.string()));
                }
                continue;
            }
            auto main = read_process(service_dir, "", diags);
            if (!main) continue;
            main->control = read_control(service_dir, diags);
            if (result.services.size() >= max_services) {
                add(diags, service_dir,
                    fmt::format("more than {} services; this one and the rest are ignored",
                                max_services));
                std::ranges::sort(result.services, {}, &ServiceSpec::name);
                return result;
            }
            taken.emplace(name, service_dir);
            result.services.push_back(
                ServiceSpec{name, std::move(*main), read_logger(service_dir, diags)});
        }
    }
    std::ranges::sort(result.services, {}, &ServiceSpec::name);
    return result;
}

}  // namespace svinit::config
