#pragma once
// The narrow interface the control layer uses to ask the supervisor things. It knows
// nothing of sockets or JSON; control/ knows nothing of processes.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/exit_status.h"
#include "core/registration.h"
#include "services/log_line.h"
#include "services/service_fsm.h"
#include "services/service_spec.h"

namespace svinit::services {

// What `svctl status` shows of one supervised program (a service or its logger).
struct ProcessStatus {
    State state = State::Down;
    pid_t pid = 0;  // 0 when nothing runs (in finish: the finish script's pid)
    std::chrono::system_clock::time_point since;  // wall-clock time of the last state change
    Want want = Want::Down;
    bool normally_down = false;
    bool paused = false;
    bool got_term = false;  // TERM sent, process not gone yet (runit's "got TERM")
    std::optional<core::ExitStatus> last_exit;
    std::uint32_t restarts = 0;
    std::string reason;  // why backoff/failed, e.g. "exited with status 1 after 0.2s"
    std::string usage;   // a sandbox's cgroup while it runs: "memory 12.4M, 3 procs"
};

// A TOML service's [health]: what its checks found since it last became ready.
enum class Health {
    Starting,   // no check has ended yet
    Healthy,    // the last check passed
    Unhealthy,  // the last check failed (`failures` in a row restart the service)
};

struct HealthStatus {
    Health state = Health::Starting;
    unsigned failures = 0;  // failed checks in a row
    // The last check's result: "passed", "exited with status 1", "timed out after 2.0s",
    // "connect 127.0.0.1:5432: Connection refused"; empty before the first.
    std::string last;
    bool operator==(const HealthStatus&) const = default;
};

std::string_view to_string(Health health) noexcept;  // "starting", "healthy", "unhealthy"

struct ServiceStatus {
    std::string name;
    std::string dir;
    ProcessStatus main;
    std::optional<ProcessStatus> log;
    // With --service-output-full=drop (prefix and json): lines svinit's stdout could not take.
    std::optional<std::uint64_t> dropped_lines;
    std::optional<HealthStatus> health;  // with [health] only
};

// Commands from `svctl`/`sv`: wants, and signals passed on to the run process.
enum class Command {
    Up,
    Down,
    Once,
    Restart,
    Pause,
    Cont,
    Term,
    Kill,
    Hup,
    Int,
    Quit,
    Usr1,
    Usr2,
    Alarm,
    Exit,  // runit's 'x': down, with control/x instead of control/d
};

// Which program of a service a command addresses: its run, or its logger. The logger of
// service NAME is named NAME + kLoggerSuffix ("web/log") wherever a service name goes.
enum class Program { Main, Log };
inline constexpr std::string_view kLoggerSuffix = "/log";

// What `check` asks of each program: is it where its want says? Want up: state run (so
// ready, where readiness is configured). Want down: down or failed (nothing runs and
// nothing will restart). Want once: run, or down when the one run is over.
inline bool as_wanted(const ProcessStatus& process) noexcept {
    switch (process.want) {
        case Want::Up:
            return process.state == State::Run;
        case Want::Down:
            return process.state == State::Down || process.state == State::Failed;
        case Want::Once:
            return process.state == State::Run || process.state == State::Down;
    }
    return false;
}

// What `check` asks of a service: its programs as wanted, and, while it runs, its last
// health check not failed.
inline bool service_ok(const ServiceStatus& status) noexcept {
    if (!as_wanted(status.main)) return false;
    if (status.log && !as_wanted(*status.log)) return false;
    return !status.health || status.main.state != State::Run ||
           status.health->state != Health::Unhealthy;
}

enum class WaitTarget { Up, Down };

enum class WaitId : std::uint64_t {};

enum class ObserverId : std::uint64_t {};

enum class FollowId : std::uint64_t {};

// Told the name of a service whose status may have changed: a state change of run or the
// logger, a command (which may change only want or paused), or the service being added or
// removed. May be called from deep inside the supervisor's callbacks, so an observer only
// takes note; it must not call back into the supervisor from there.
using ChangeObserver = std::function<void(std::string_view name)>;

class SupervisorApi {
public:
    virtual ~SupervisorApi() = default;

    // Every service, in name order.
    virtual std::vector<std::string> service_names() const = 0;

    // Finds a service by name, or by its directory path ("/etc/service/web", "./web/"),
    // and a logger by NAME/log or its log/ directory. Returns the canonical name ("web",
    // "web/log"), or nullopt when there is no such service or logger. Costs at most one
    // stat(2) of the path, whatever the number of services.
    virtual std::optional<std::string> resolve(std::string_view name_or_path) const = 0;

    virtual std::optional<ServiceStatus> status(std::string_view name) const = 0;

    // The spec a service runs by, origins included (svctl show); a logger's name gives its
    // service's. nullopt: no such service.
    virtual std::optional<ServiceSpec> spec(std::string_view name) const {
        (void)name;
        return std::nullopt;
    }

    // Error code ENOENT: unknown service; others as the operation failed.
    virtual core::Result<void> command(std::string_view name, Command command) = 0;

    // What the handles below call; harmless for an id already done or cancelled.
    virtual void cancel_wait(WaitId id) = 0;
    virtual void unobserve(ObserverId /*id*/) {}
    virtual void unfollow(FollowId /*id*/) {}

    using WaitHandle = core::Registration<SupervisorApi, WaitId, &SupervisorApi::cancel_wait>;
    using ObserverHandle = core::Registration<SupervisorApi, ObserverId, &SupervisorApi::unobserve>;
    using FollowHandle = core::Registration<SupervisorApi, FollowId, &SupervisorApi::unfollow>;

    // Calls done(true) once the service reaches the target (at once, from inside this
    // call, if it already has), or done(false) if the service disappears first. Up means
    // state run; down means down or failed (nothing runs and nothing will restart).
    // Not called once the handle is gone. No timeout here: the caller owns the timer.
    virtual WaitHandle wait(std::string_view name, WaitTarget target,
                            std::function<void(bool reached)> done) = 0;

    // Calls observer on every possible change of a service's status while the handle
    // lives. An implementation whose statuses never change (a test double) need not
    // override.
    virtual ObserverHandle observe(ChangeObserver /*observer*/) { return {}; }

    // The last `count` lines of a service's captured output, oldest first (svctl logs).
    // Errors: ENOENT, no such service; ENODATA, its output is not captured (inherit mode,
    // or a runit logger reads it).
    virtual core::Result<std::vector<LogLine>> logs(std::string_view name,
                                                   std::size_t count) const {
        (void)count;
        return core::error(ENODATA, std::string(name) + ": output is not captured");
    }
    // Calls on_line with each new line of the service's output while the handle lives,
    // across restarts of the service (and its replacement by a changed declaration). The
    // same errors as logs(). on_line must not call back into the supervisor.
    virtual core::Result<FollowHandle> follow(std::string_view name,
                                              std::function<void(const LogLine&)> on_line) {
        (void)on_line;
        return core::error(ENODATA, std::string(name) + ": output is not captured");
    }

    // The same orderly stop as SIGTERM to svinit.
    virtual void shutdown() = 0;

    // Reads and validates every declaration again and, when all is well, applies the
    // difference (svctl reload). Otherwise nothing changes, and the errors come back, one
    // line each (FILE:LINE:COLUMN: key: message).
    virtual std::expected<void, std::vector<std::string>> reload() {
        return std::unexpected(std::vector<std::string>{"reload is not supported here"});
    }

    // True when every service and logger is as it is wanted now (as_wanted): a liveness
    // probe that a service taken down on purpose does not fail.
    virtual bool check() const = 0;
};

}  // namespace svinit::services
