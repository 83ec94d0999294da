#pragma once
// A service as svinit supervises it, whatever it was declared in: a runit service directory
// (config/runit_dir.cpp) or TOML (config/toml_service.cpp). Plain values made by config/:
// services/ never reads declarations itself.
//
// The members' defaults are a runit directory's behaviour, so runit's code paths fill in
// only what a directory says; the TOML loader sets every member. Every value is the
// effective one: defaults (built in, from the main file's [defaults], or
// from command-line flags) are filled in by config/, and SpecOrigins says where each came
// from. Reload compares specs with operator==: a service whose spec is equal keeps running.

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "services/log_settings.h"
#include "sandbox/sandbox_spec.h"

namespace svinit::services {

// The same type as services/backoff.h's (a redeclaration of the alias, not a new one).
using Duration = std::chrono::steady_clock::duration;

// ---- where values came from

// A place a value came from: "FILE:LINE:COLUMN", a command-line flag ("--stop-timeout", with
// line 0), or, when `where` is empty, svinit's built-in default.
struct Origin {
    std::string where;  // a file, a flag, or empty for "default"
    int line = 0;       // 0: not in a file (a flag, a runit directory, a default)
    int column = 0;
    bool in_defaults = false;  // a key of the main file's [defaults], not the service's own

    bool is_default() const noexcept { return where.empty(); }
    // "/etc/svinit/services.d/web.toml:3:11", "--stop-timeout", "default"
    std::string describe() const;
    bool operator==(const Origin&) const = default;
};

// Where each value of one service came from, keyed by its key path below the service
// ("command", "restart.policy", "environment.MODE"); a key without an entry is a default.
// Always compares equal: moving a definition within its file, or a comment added above it,
// does not change what runs, so reload must not restart the service for it.
struct SpecOrigins {
    Origin defined_at;  // the service's table, file or directory
    std::map<std::string, Origin, std::less<>> values;

    // The origin of `key`, or Origin{} (default) when nothing set it.
    Origin of(std::string_view key) const;
    bool operator==(const SpecOrigins&) const noexcept { return true; }
};

// ---- one program

struct ResourceLimit {
    int resource = 0;        // RLIMIT_NOFILE, ...
    std::uint64_t soft = 0;  // kUnlimited for RLIM_INFINITY
    std::uint64_t hard = 0;
    static constexpr std::uint64_t kUnlimited = ~std::uint64_t{0};  // == RLIM_INFINITY
    bool operator==(const ResourceLimit&) const = default;
};

// What a program is started with besides its argv. The defaults change nothing: the child
// inherits svinit's environment, credentials and umask (the fd limit svinit started with
// is given back to every child, see core/spawn.h).
struct ExecContext {
    bool inherit_environment = true;  // start from svinit's environment at spawn
    // Set on top of it: env-file's variables, then `environment` over them. Already merged.
    std::map<std::string, std::string> environment{};
    std::optional<std::filesystem::path> env_file{};  // shown by svctl show; read at load time
    std::string user{};                               // name or number; empty: svinit's own (root)
    std::string group{};  // name or number; empty: the user's primary group
    // Names or numbers. Empty: with `user`, the user's groups from the group database
    // (initgroups); without, svinit's own.
    std::vector<std::string> supplementary_groups{};
    std::optional<std::uint32_t> umask{};  // nullopt: inherited from svinit
    std::vector<ResourceLimit> rlimits{};  // sorted by resource, each at most once
    bool operator==(const ExecContext&) const = default;
};

// One supervised program: a service's main process, or its logger's `log/run`.
struct ProcessSpec {
    // runit: NAME/ or NAME/log/, where ./run and ./finish run. TOML: working-directory.
    std::filesystem::path dir;
    std::filesystem::path run;                    // runit: DIR/run; empty for TOML services
    std::optional<std::filesystem::path> finish;  // runit: DIR/finish when executable
    bool normally_down = false;                   // runit: DIR/down exists; TOML: down = true
    // TOML: argv; argv[0] is searched in PATH at spawn (core::resolve_command), never run
    // through a shell. Empty for runit: ./run in `dir` is run.
    std::vector<std::string> command{};
    ExecContext exec{};
    // runit's control scripts, DIR/control/C by letter C (u d x t k p c h a i q 1 2), the
    // executable ones; a service's only (runsv runs none for a logger). runsv(8).
    std::map<char, std::filesystem::path> control{};

    bool operator==(const ProcessSpec&) const = default;
};

// ---- how a service is run

enum class SourceKind { RunitDir, Toml };

// simple: up once spawned (or once ready, with readiness). oneshot: up when it exits 0 (a
// setup step others depend on). notify: readiness by sd_notify's READY=1 (the same as
// [readiness] type = "notify").
enum class ServiceType { Simple, Oneshot, Notify };

enum class RestartPolicy { Always, OnFailure, Never };

struct StartLimit {
    unsigned burst = 5;                            // more starts than this within interval:
    Duration interval = std::chrono::seconds(10);  // the service fails for good
    bool operator==(const StartLimit&) const = default;
};

struct RestartSpec {
    RestartPolicy policy = RestartPolicy::Always;
    Duration backoff_initial = std::chrono::milliseconds(100);  // after the first quick exit
    Duration backoff_max = std::chrono::seconds(30);
    double backoff_factor = 2.0;                       // the delay grows by this per quick exit
    Duration healthy_after = std::chrono::seconds(1);  // a run this long resets the backoff
    std::optional<StartLimit> start_limit{};           // nullopt: no limit (runit's behaviour)
    bool operator==(const RestartSpec&) const = default;
};

enum class KillMode { Group, Process };  // who gets the stop signal and the final KILL

struct StopSpec {
    int signal = SIGTERM;                         // followed by CONT, as runit does
    Duration timeout = std::chrono::seconds(10);  // then KILL
    KillMode kill = KillMode::Process;            // runsv's; a TOML service's default is Group
    // Run instead of sending `signal` (like runit's control/t), bounded by `timeout`.
    std::vector<std::string> command{};
    bool operator==(const StopSpec&) const = default;
};

// ---- readiness and health

struct ExecCheck {  // passes when the command exits 0 within the check's time limit
    std::vector<std::string> command{};
    bool operator==(const ExecCheck&) const = default;
};
struct TcpCheck {  // passes when host:port accepts a connection
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    bool operator==(const TcpCheck&) const = default;
};
struct NotifyReadiness {  // NOTIFY_SOCKET, READY=1
    bool operator==(const NotifyReadiness&) const = default;
};
struct FdReadiness {  // s6's notification-fd: the service writes a newline to fd N
    int fd = 3;
    bool operator==(const FdReadiness&) const = default;
};

using ReadinessMethod =
    std::variant<std::monostate, NotifyReadiness, FdReadiness, ExecCheck, TcpCheck>;

struct ReadinessSpec {
    ReadinessMethod method{};  // monostate: ready as soon as spawned (none configured)
    Duration timeout = std::chrono::seconds(60);  // not ready by then: a failed start
    // ExecCheck and TcpCheck: tried every `interval`, each try limited to `check_timeout`,
    // giving up after `retries` failed tries (0: only the timeout ends them).
    Duration interval = std::chrono::seconds(1);
    Duration check_timeout = std::chrono::seconds(5);
    unsigned retries = 0;

    bool configured() const noexcept { return !std::holds_alternative<std::monostate>(method); }
    bool operator==(const ReadinessSpec&) const = default;
};

using HealthCheck = std::variant<ExecCheck, TcpCheck>;

struct HealthSpec {  // liveness after ready: `failures` failed checks in a row restart it
    HealthCheck check{};
    Duration interval = std::chrono::seconds(30);
    Duration timeout = std::chrono::seconds(10);  // one check's limit
    unsigned failures = 3;
    bool operator==(const HealthSpec&) const = default;
};

// Other services' names. Each list is sorted and has no duplicates.
struct Dependencies {
    std::vector<std::string> required{};  // TOML `requires`: start after they are ready; stop
                                          // when one stops or fails for good; start again
                                          // when it is back
    std::vector<std::string> wanted{};    // `wants`: start after them, no propagation
    std::vector<std::string> after{};     // pure ordering: start after, stop before them
    std::vector<std::string> before{};    // pure ordering: start before, stop after them
    bool operator==(const Dependencies&) const = default;
};

struct ServiceSpec {
    std::string name;  // the directory entry's or TOML file's name, e.g. "web"
    ProcessSpec main;
    std::optional<ProcessSpec> log;  // runit's NAME/log/run: reads main's stdout through a pipe
    // Where run's stdout and stderr go: TOML [log] mode; nullopt follows svinit's
    // --service-output. Ignored with `log` (the logger keeps its pipe).
    std::optional<OutputMode> output{};
    std::optional<PrefixFormat> prefix{};  // TOML [log] prefix; nullopt: --service-log-prefix

    SourceKind source = SourceKind::RunitDir;
    ServiceType type = ServiceType::Simple;
    RestartSpec restart{};
    StopSpec stop{};
    Duration finish_timeout = std::chrono::seconds(5);  // runit's ./finish
    bool essential = false;  // failing for good shuts svinit down with the service's status
    Dependencies deps{};
    ReadinessSpec readiness{};
    std::optional<HealthSpec> health{};
    // TOML's [sandbox]: namespaces, root, privileges, seccomp, cgroup limits; main's run
    // starts in it (services/sandbox_run.h).
    std::optional<sandbox::SandboxSpec> sandbox{};
    SpecOrigins origins{};  // never makes two specs differ

    bool operator==(const ServiceSpec&) const = default;
};

// Names as TOML spells them ("on-failure"), for messages and svctl show.
std::string_view to_string(SourceKind kind) noexcept;
std::string_view to_string(ServiceType type) noexcept;
std::string_view to_string(RestartPolicy policy) noexcept;
std::string_view to_string(KillMode mode) noexcept;
// "none", "notify", "fd", "exec", "tcp"
std::string_view readiness_type(const ReadinessMethod& method) noexcept;

// A problem found while reading declarations: named file, and line and column where there
// are some.
struct Diagnostic {
    std::filesystem::path file;
    int line = 0;  // 0 when the problem is not on a line
    std::string message;
    int column = 0;  // 0 when unknown; last, so that {file, line, message} stays valid

    // "/etc/service/web/run: not executable", "FILE:LINE: message" or
    // "FILE:LINE:COLUMN: message"
    std::string describe() const;
};

}  // namespace svinit::services
