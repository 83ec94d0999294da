#pragma once
// The container environment, as baseimage-docker's my_init keeps it (import_envvars and
// export_envvars), for any bytes.
//
//   /etc/container_environment/NAME   one file per variable: the value, as bytes
//   /etc/container_environment.sh     `export NAME=VALUE` lines, for `. FILE` in sh/bash
//   /etc/container_environment.json   the whole environment as one JSON object
//
// The environment is the process environment (environ, setenv, unsetenv, clearenv):
// svinit is single-threaded and its children inherit it.
//
// Where svinit differs from my_init, my_init would crash or write something broken:
//  - Values are bytes. my_init reads files as text (a \r\n ending becomes \n, bytes that
//    are not UTF-8 end up as lone surrogates); svinit keeps every byte and drops exactly
//    one trailing "\n".
//  - Files that cannot become a variable are skipped with a warning instead of aborting
//    boot: a name containing '=', a value with a NUL byte, a subdirectory or other non-regular
//    file (a FIFO would block a plain open), an unreadable file, and an entry too large
//    for execve (NAME=VALUE beyond MAX_ARG_STRLEN: every later exec would fail with E2BIG).
//  - The .json is valid JSON for any bytes: nlohmann::json with ensure_ascii (as Python's
//    json.dumps) and error_handler_t::replace, so invalid UTF-8 becomes U+FFFD ("\ufffd")
//    where my_init writes lone surrogates that strict parsers reject. Its layout is
//    json.dumps's: {"A": "1", "B": "2"}, no trailing newline.
//  - The .sh leaves out a variable whose sanitised name cannot be a shell name (empty or
//    starting with a digit): `export 1X=...` makes dash/bash abort the script sourcing it.
//    It leaves out OPTIND too, sh's getopts state: `export OPTIND=x` aborts it in dash.
//  - .sh and .json are replaced atomically (a temp file in the same directory, renamed),
//    keeping an existing file's mode and owner, as my_init's open("w") does (baseimage
//    ships them 0640 root:docker_env); a new one gets 0644 (0666 & ~umask for my_init).
//  - "Word characters" are ASCII [A-Za-z0-9_]; Python's \w also takes non-ASCII letters, so
//    my_init leaves `café` bare and keeps `é` in names where svinit quotes it and writes
//    '_' per byte. A shell reads the same value either way.
//  - A variable whose name cannot be a file name (holds '/', or is "." or "..") gets no file
//    in the directory; it is still in .sh and .json.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace svinit::config {

struct ContainerEnvPaths {
    std::filesystem::path dir;   // /etc/container_environment
    std::filesystem::path sh;    // /etc/container_environment.sh
    std::filesystem::path json;  // /etc/container_environment.json
};

// The three paths under `root` ("/" normally; a temp dir in tests).
ContainerEnvPaths container_env_paths(const std::filesystem::path& root);

struct ImportMode {
    bool clear_first;        // clearenv() before setting (after every file was read)
    bool override_existing;  // a variable already set takes the file's value
};

// my_init's two imports: at boot, the files fill in only what is not set yet; after each
// startup script, the environment becomes exactly the directory.
inline constexpr ImportMode kImportAtBoot{false, false};
inline constexpr ImportMode kReimportAfterScript{true, true};

// Bounds. execve refuses a single "NAME=VALUE" string longer than MAX_ARG_STRLEN (32
// pages; 131072 bytes with the NUL on 4 KiB pages).
inline constexpr std::size_t kMaxEnvEntryBytes = 131072 - 1;
inline constexpr std::size_t kMaxEnvFiles = 10'000;

// Reads every file in paths.dir as NAME=content (one trailing "\n" dropped), in name order.
// Does nothing when the dir does not exist. Returns warnings (one line each, naming the
// file) for entries it skips: a name that cannot be an environment name (empty, contains
// '='), a value with a NUL byte, an unreadable file, subdirectories and other non-regular
// files, entries beyond the bounds above. An Error only when the dir exists but cannot be
// listed; the environment is then untouched.
core::Result<std::vector<std::string>> import_container_env(const ContainerEnvPaths& paths,
                                                            ImportMode mode);

// Writes the environment back: with write_dir, one file per variable in paths.dir (exact
// bytes, no trailing newline, as my_init); always .sh and .json. Nothing when paths.dir
// doesn't exist. HOME USER GROUP UID GID SHELL are skipped in the files and .sh; .json
// holds the whole environment. Best effort: a failure does not stop the other writes; the
// Error names the first one (and how many more failed).
core::Result<void> export_container_env(const ContainerEnvPaths& paths, bool write_dir);

// ---- helpers (all pure but environment_entries, which reads environ)

// The process environment as (name, value) pairs, in environ order. An entry without '=' or
// with an empty name is left out; for a name present twice, the first wins (as getenv and Python
// see it).
std::vector<std::pair<std::string, std::string>> environment_entries();

// True for the variables my_init leaves out of the directory and the .sh.
bool is_export_skipped(std::string_view name);

// Every char not [A-Za-z0-9_] -> '_' (my_init's re.sub(r'\W', '_', name), per byte).
std::string shell_env_name(std::string_view name);

// Python's shlex.quote as my_init has it: bare if the value matches [A-Za-z0-9_@%+=:,./-]+,
// '' for empty, else single-quoted with ' written as '"'"'.
std::string shell_quote(std::string_view value);

// The .sh's contents for `entries` (skip-list applied), `export NAME=VALUE\n` per variable.
std::string environment_shell(const std::vector<std::pair<std::string, std::string>>& entries);

// A JSON object, valid for ANY bytes (see the top of this file), in the order given.
std::string environment_json(const std::vector<std::pair<std::string, std::string>>& entries);

}  // namespace svinit::config
