// config/runit_dir.h's scan on odd trees, built for real in a fresh temp dir.
//
// Input: lines, each one entry to make under the temp dir (paths relative to it, with
// C escapes \n \t \\ \xHH so that any byte can be in a name):
//   d PATH          a directory            f PATH [TEXT]   a regular file, 0644
//   x PATH          an executable, 0755    p PATH          a FIFO
//   l PATH TARGET   a symlink (dangling, to a dir, a loop, absolute...)
//   m PATH MODE     chmod, octal (e.g. 000 to make a directory unreadable)
// The scan reads `a/`, `b/` (made first) and a missing `c/`. Nothing is ever created
// through a symlink, so nothing outside the temp dir is touched.
// Properties beyond "no crash, no hang": services are sorted, unique, never hidden nor
// with a control character in the name; every run/finish/log a service gets is an
// executable regular file; every diagnostic is one line that names its file.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "config/runit_dir.h"
#include "fuzz/fuzz_check.h"

namespace fs = std::filesystem;
using svinit::config::scan_service_dirs;
using svinit::config::ScanResult;

namespace {

// Bounds, so one input cannot make a huge tree.
constexpr std::size_t kMaxLines = 64;
constexpr std::size_t kMaxDepth = 6;
constexpr std::size_t kMaxServices = 4;  // small, so the bound's path is reached too

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string unescape(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        const char c = text[++i];
        if (c == 'n') {
            out += '\n';
        } else if (c == 't') {
            out += '\t';
        } else if (c == 's') {
            out += ' ';
        } else if (c == 'x' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
                   hex_digit(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

// Splits "d PATH REST" into its words at spaces (REST keeps its spaces).
struct Line {
    char kind = 0;
    std::string path;
    std::string rest;
};

std::optional<Line> parse_line(std::string_view text) {
    if (text.size() < 3 || text[1] != ' ') return std::nullopt;
    Line line;
    line.kind = text[0];
    text.remove_prefix(2);
    const auto space = text.find(' ');
    line.path = unescape(text.substr(0, space));
    if (space != std::string_view::npos) line.rest = unescape(text.substr(space + 1));
    return line;
}

// The components of a relative path, or nullopt when it would leave the root or is
// too deep. NUL cannot be in a file name.
std::optional<std::vector<std::string>> components(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const auto slash = std::min(path.find('/', start), path.size());
        std::string part = path.substr(start, slash - start);
        start = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == ".." || part.find('\0') != std::string::npos) return std::nullopt;
        parts.push_back(std::move(part));
    }
    if (parts.empty() || parts.size() > kMaxDepth) return std::nullopt;
    return parts;
}

// Makes the parent directories of root/parts, refusing to go through anything but a real
// directory (a symlink to "/" must not let a later line write there).
std::optional<fs::path> safe_path(const fs::path& root, const std::vector<std::string>& parts) {
    fs::path at = root;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        at /= parts[i];
        struct stat st {};
        if (::lstat(at.c_str(), &st) != 0) {
            if (::mkdir(at.c_str(), 0755) != 0) return std::nullopt;
        } else if (!S_ISDIR(st.st_mode)) {
            return std::nullopt;
        }
    }
    return at / parts.back();
}

void make_file(const fs::path& path, mode_t mode, std::string_view content) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return;
    (void)!::write(fd, content.data(), content.size());
    (void)::fchmod(fd, mode);  // exactly `mode`, whatever the umask
    ::close(fd);
}

struct Tree {
    fs::path root;
    std::vector<fs::path> chmodded;  // given back 0700 before removal
};

void apply(Tree& tree, const Line& line) {
    const auto parts = components(line.path);
    if (!parts) return;
    const auto path = safe_path(tree.root, *parts);
    if (!path) return;
    switch (line.kind) {
        case 'd':
            ::mkdir(path->c_str(), 0755);
            break;
        case 'f':
            make_file(*path, 0644, line.rest);
            break;
        case 'x':
            make_file(*path, 0755, line.rest.empty() ? "#!/bin/sh\n" : line.rest);
            break;
        case 'p':
            ::mkfifo(path->c_str(), 0644);
            break;
        case 'l':
            if (!line.rest.empty()) (void)::symlink(line.rest.c_str(), path->c_str());
            break;
        case 'm': {
            struct stat st {};
            if (::lstat(path->c_str(), &st) != 0 || S_ISLNK(st.st_mode)) break;
            const auto mode = static_cast<mode_t>(std::strtoul(line.rest.c_str(), nullptr, 8));
            if (::chmod(path->c_str(), mode & 07777) == 0) tree.chmodded.push_back(*path);
            break;
        }
        default:
            break;
    }
}

bool executable_file(const fs::path& file) {
    struct stat st {};
    return ::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(file.c_str(), X_OK) == 0;
}

void check_process(const svinit::services::ProcessSpec& spec, const fs::path& dir) {
    FUZZ_CHECK(spec.dir == dir, spec.dir.string());
    FUZZ_CHECK(spec.run == dir / "run", spec.run.string());
    FUZZ_CHECK(executable_file(spec.run), spec.run.string());
    if (spec.finish) {
        FUZZ_CHECK(*spec.finish == dir / "finish", spec.finish->string());
        FUZZ_CHECK(executable_file(*spec.finish), spec.finish->string());
    }
}

void check(const ScanResult& result, const std::vector<fs::path>& dirs) {
    FUZZ_CHECK(result.services.size() <= kMaxServices);
    for (std::size_t i = 0; i < result.services.size(); ++i) {
        const auto& service = result.services[i];
        FUZZ_CHECK(!service.name.empty() && !service.name.starts_with('.'), service.name);
        FUZZ_CHECK(std::ranges::none_of(service.name,
                                        [](char c) {
                                            const auto u = static_cast<unsigned char>(c);
                                            return u < 0x20 || u == 0x7f;
                                        }),
                   service.name);
        if (i > 0) FUZZ_CHECK(result.services[i - 1].name < service.name, service.name);
        const fs::path dir = service.main.dir;
        FUZZ_CHECK(dir.filename() == service.name, dir.string());
        FUZZ_CHECK(std::ranges::find(dirs, dir.parent_path()) != dirs.end(), dir.string());
        check_process(service.main, dir);
        if (service.log) check_process(*service.log, dir / "log");
    }
    for (const auto& diag : result.diagnostics) {
        const std::string text = diag.describe();
        FUZZ_CHECK(!diag.message.empty(), text);
        FUZZ_CHECK(!diag.file.empty(), text);
        FUZZ_CHECK(text.find('\n') == std::string::npos, text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string pattern = (fs::temp_directory_path() / "svinit-fuzz-runit-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    Tree tree{pattern, {}};
    const std::vector<fs::path> dirs{tree.root / "a", tree.root / "b", tree.root / "c"};
    ::mkdir(dirs[0].c_str(), 0755);
    ::mkdir(dirs[1].c_str(), 0755);

    std::string_view input(reinterpret_cast<const char*>(data), size);
    for (std::size_t n = 0; n < kMaxLines && !input.empty(); ++n) {
        const auto end = input.find('\n');
        if (const auto line = parse_line(input.substr(0, end))) apply(tree, *line);
        if (end == std::string_view::npos) break;
        input.remove_prefix(end + 1);
    }

    check(scan_service_dirs(dirs, kMaxServices), dirs);

    for (const fs::path& path : tree.chmodded) ::chmod(path.c_str(), 0700);
    std::error_code ec;
    fs::remove_all(tree.root, ec);
    FUZZ_CHECK(!ec, ec.message());
    return 0;
}
