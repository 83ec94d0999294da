#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "svctl/client.h"
#include "svctl/sv.h"

using namespace std::chrono_literals;
using svinit::control::ErrorCode;
using svinit::control::Request;
using svinit::control::RequestKind;
using svinit::control::Response;
using svinit::services::Command;
using svinit::services::ServiceStatus;
using svinit::services::State;
using svinit::services::WaitTarget;
using svinit::services::Want;
using Lines = std::vector<std::string>;

namespace {

const svinit::svctl::WallTime kNow{std::chrono::seconds(1'700'000'000)};

ServiceStatus service(std::string name, State state, pid_t pid, Want want) {
    ServiceStatus s;
    s.name = std::move(name);
    s.dir = "/etc/service/" + s.name;
    s.main.state = state;
    s.main.pid = pid;
    s.main.since = kNow - 5s;
    s.main.want = want;
    return s;
}

// A tiny svinit: services by name (or by /etc/service/NAME), commands that take effect at
// once unless `on_command` says otherwise, waits answered from the current state.
struct World {
    std::map<std::string, ServiceStatus> services;
    std::function<void(ServiceStatus&, Command)> on_command = [](ServiceStatus& s, Command c) {
        switch (c) {
            case Command::Up:
            case Command::Restart:
                s.main = service(s.name, State::Run, 100, Want::Up).main;
                s.main.since = kNow;
                break;
            case Command::Down:
            case Command::Exit:
                s.main = service(s.name, State::Down, 0, Want::Down).main;
                s.main.since = kNow;
                break;
            case Command::Once:
                s.main = service(s.name, State::Run, 100, Want::Once).main;
                break;
            case Command::Pause:
                s.main.paused = true;
                break;
            case Command::Cont:
                s.main.paused = false;
                break;
            case Command::Term:
            case Command::Kill:
            case Command::Hup:
            case Command::Int:
            case Command::Quit:
            case Command::Usr1:
            case Command::Usr2:
            case Command::Alarm:
                break;
        }
    };
    std::optional<svinit::core::Error> transport_error;
    std::vector<Request> requests;
    std::vector<std::optional<std::chrono::milliseconds>> timeouts;
    Lines out, err;

    ServiceStatus* find(const std::string& given) {
        std::string name = given;
        if (name.starts_with("/etc/service/")) name = name.substr(13);
        auto it = services.find(name);
        return it == services.end() ? nullptr : &it->second;
    }

    Response answer(const Request& request) {
        Response r;
        for (const auto& given : request.services) {
            ServiceStatus* s = find(given);
            if (!s) {
                r.results.push_back(
                    {given, ErrorCode::UnknownService, given + ": no such service", {}});
                continue;
            }
            svinit::control::ServiceResult result{given, ErrorCode::None, {}, {}};
            switch (request.kind) {
                case RequestKind::Status:
                    result.status = *s;
                    break;
                case RequestKind::Command:
                    on_command(*s, request.command);
                    break;
                case RequestKind::Wait: {
                    bool up = s->main.state == State::Run;
                    bool down = s->main.state == State::Down || s->main.state == State::Failed;
                    if (request.target == WaitTarget::Up ? !up : !down) {
                        result.error = ErrorCode::Timeout;
                        result.message = given + ": not there in time";
                    }
                    break;
                }
                case RequestKind::Shutdown:
                case RequestKind::Check:
                case RequestKind::Reload:
                case RequestKind::Show:
                case RequestKind::Logs:  // sv never asks for logs
                    break;
            }
            r.results.push_back(std::move(result));
        }
        return r;
    }

    int sv(std::vector<std::string_view> argv) {
        auto args = svinit::svctl::parse_sv_args(argv, std::nullopt);
        REQUIRE(args);
        svinit::svctl::RunContext context;
        context.exchange = [this](const Request& request,
                                  std::optional<std::chrono::milliseconds> timeout)
            -> svinit::core::Result<Response> {
            requests.push_back(request);
            timeouts.push_back(timeout);
            if (transport_error) return std::unexpected(*transport_error);
            return answer(request);
        };
        context.out = [this](std::string_view line) { out.emplace_back(line); };
        context.err = [this](std::string_view line) { err.emplace_back(line); };
        context.wall_now = [] { return kNow; };
        context.steady_now = [] { return std::chrono::steady_clock::time_point{}; };
        context.socket_path = "/run/test.sock";
        context.cwd = "/etc/service";
        return svinit::svctl::run_sv(*args, context);
    }

    std::vector<RequestKind> kinds() const {
        std::vector<RequestKind> k;
        for (const auto& r : requests) k.push_back(r.kind);
        return k;
    }
};

World two_services() {
    World w;
    w.services["web"] = service("web", State::Run, 123, Want::Up);
    w.services["web"].log = service("log", State::Run, 124, Want::Up).main;
    w.services["db"] = service("db", State::Down, 0, Want::Down);
    return w;
}

}  // namespace

TEST_CASE("sv status: runit's lines, names as given, a fail line per unknown service", "[svctl]") {
    World w = two_services();
    CHECK(w.sv({"status", "web", "/etc/service/db", "./web", "nope"}) == 1);
    CHECK(w.requests.size() == 1);
    CHECK(w.requests[0].services == Lines{"web", "/etc/service/db", "/etc/service/web", "nope"});
    CHECK(w.out == Lines{
                       "run: web: (pid 123) 5s; run: log: (pid 124) 5s",
                       "down: /etc/service/db: 5s, normally up",
                       "run: ./web: (pid 123) 5s; run: log: (pid 124) 5s",
                       "fail: nope: unable to change to service directory: file does not exist",
                   });
    CHECK(w.err.empty());
}

TEST_CASE("sv status maps svinit's states onto run/down/finish", "[svctl]") {
    World w;
    w.services["a"] = service("a", State::Starting, 7, Want::Up);
    w.services["b"] = service("b", State::Stopping, 8, Want::Down);
    w.services["c"] = service("c", State::Backoff, 0, Want::Up);
    w.services["c"].main.reason = "exited with status 1 after 0.1s";
    w.services["d"] = service("d", State::Failed, 0, Want::Up);
    w.services["e"] = service("e", State::Finish, 9, Want::Up);
    CHECK(w.sv({"status", "a", "b", "c", "d", "e"}) == 0);
    CHECK(w.out == Lines{
                       "run: a: (pid 7) 5s",
                       "run: b: (pid 8) 5s, want down, got TERM",
                       "down: c: 5s, normally up, want up",
                       "down: d: 5s, normally up, want up",
                       "finish: e: (pid 9) 5s",
                   });
}

TEST_CASE("sv without svinit: every service fails, one line on stderr", "[svctl]") {
    World w = two_services();
    w.transport_error = svinit::core::Error{ECONNREFUSED, "cannot reach svinit at /run/test.sock"};
    CHECK(w.sv({"-v", "up", "web", "db"}) == 2);
    CHECK(w.out == Lines{"fail: web: runsv not running", "fail: db: runsv not running"});
    CHECK(w.err == Lines{"svctl: cannot reach svinit at /run/test.sock: Connection refused"});
    CHECK(w.requests.size() == 1);  // nothing is left to wait for

    World denied = two_services();
    denied.transport_error = svinit::core::Error{EACCES, "cannot reach svinit at /run/test.sock"};
    CHECK(denied.sv({"status", "web"}) == 1);
    CHECK(denied.out == Lines{"warning: web: unable to open supervise/ok: access denied"});
}

TEST_CASE("sv up and down print nothing without -v", "[svctl]") {
    World w = two_services();
    CHECK(w.sv({"down", "web"}) == 0);
    CHECK(w.sv({"up", "db"}) == 0);
    CHECK(w.out.empty());
    CHECK(w.kinds() == std::vector{RequestKind::Command, RequestKind::Command});
    CHECK(w.requests[0].command == Command::Down);
    CHECK(w.requests[1].command == Command::Up);
    CHECK(w.services["web"].main.state == State::Down);
    CHECK(w.services["db"].main.state == State::Run);

    World unknown = two_services();
    CHECK(unknown.sv({"up", "nope", "web"}) == 1);
    CHECK(unknown.out ==
          Lines{"fail: nope: unable to change to service directory: file does not exist"});
}

TEST_CASE("sv -v up waits up to 7s and says ok", "[svctl]") {
    World w = two_services();
    CHECK(w.sv({"-v", "up", "db"}) == 0);
    CHECK(w.kinds() == std::vector{RequestKind::Command, RequestKind::Wait, RequestKind::Status});
    CHECK(w.requests[1].target == WaitTarget::Up);
    CHECK(w.requests[1].timeout == 7000ms);
    CHECK(w.timeouts[1] == 12000ms);
    CHECK(w.out == Lines{"ok: run: db: (pid 100) 0s"});  // no log part, as sv -v prints it
}

TEST_CASE("sv -w: a service that does not get there times out and counts as failed", "[svctl]") {
    World w = two_services();
    w.on_command = [](ServiceStatus& s, Command) {
        if (s.name != "db") return;
        s.main.state = State::Backoff;
        s.main.want = Want::Up;
    };
    CHECK(w.sv({"-w", "3", "up", "db", "web"}) == 1);
    CHECK(w.requests[1].timeout == 3000ms);
    CHECK(w.out ==
          Lines{"ok: run: web: (pid 123) 5s", "timeout: down: db: 5s, normally up, want up"});

    // -w 0 still looks once: 0 on the wire would mean "no timeout".
    World zero = two_services();
    CHECK(zero.sv({"-w", "0", "down", "web"}) == 0);
    CHECK(zero.requests[1].timeout == 1ms);
}

TEST_CASE("sv start/stop/restart wait even without -v", "[svctl]") {
    World w = two_services();
    CHECK(w.sv({"stop", "web"}) == 0);
    CHECK(w.sv({"start", "web"}) == 0);
    CHECK(w.sv({"restart", "web"}) == 0);
    CHECK(w.out == Lines{"ok: down: web: 0s, normally up", "ok: run: web: (pid 100) 0s",
                         "ok: run: web: (pid 100) 0s"});
    CHECK(w.requests[0].command == Command::Down);
    CHECK(w.requests[1].target == WaitTarget::Down);
    CHECK(w.requests[6].command == Command::Restart);
    CHECK(w.requests[7].target == WaitTarget::Up);
}

TEST_CASE("sv force-stop: kill what did not stop in time", "[svctl]") {
    World w = two_services();
    w.on_command = [](ServiceStatus& s, Command c) {
        if (c != Command::Down || s.name != "web") return;
        s.main.state = State::Stopping;
        s.main.want = Want::Down;
    };
    CHECK(w.sv({"-w", "2", "force-stop", "web", "db"}) == 1);
    CHECK(w.out == Lines{"ok: down: db: 5s, normally up",
                         "kill: run: web: (pid 123) 5s, want down, got TERM"});
    REQUIRE(w.requests.size() == 4);
    CHECK(w.requests[3].kind == RequestKind::Command);
    CHECK(w.requests[3].command == Command::Kill);
    CHECK(w.requests[3].services == Lines{"web"});
}

TEST_CASE("sv -v with signals, once, pause: ok at once", "[svctl]") {
    World w = two_services();
    CHECK(w.sv({"-v", "hup", "web"}) == 0);
    CHECK(w.sv({"-v", "pause", "web"}) == 0);
    CHECK(w.sv({"-v", "once", "db"}) == 0);
    CHECK(w.sv({"reload", "web"}) == 0);
    CHECK(w.out == Lines{"ok: run: web: (pid 123) 5s", "ok: run: web: (pid 123) 5s, paused",
                         "ok: run: db: (pid 100) 5s, want down",
                         "ok: run: web: (pid 123) 5s, paused"});
    for (const auto& r : w.requests) CHECK(r.kind != RequestKind::Wait);
}

TEST_CASE("sv try-restart restarts only what runs and wants up", "[svctl]") {
    World w = two_services();
    CHECK(w.sv({"try-restart", "web", "db"}) == 0);
    CHECK(w.kinds() == std::vector{RequestKind::Status, RequestKind::Command, RequestKind::Wait,
                                   RequestKind::Status});
    CHECK(w.requests[1].command == Command::Restart);
    CHECK(w.requests[1].services == Lines{"web"});
    CHECK(w.out == Lines{"ok: run: web: (pid 100) 0s", "ok: down: db: 5s, normally up"});
}

TEST_CASE("sv check waits only for services that are starting", "[svctl]") {
    World w = two_services();
    w.services["app"] = service("app", State::Starting, 50, Want::Up);
    CHECK(w.sv({"-w", "1", "check", "web", "db", "app"}) == 1);
    CHECK(w.kinds() == std::vector{RequestKind::Status, RequestKind::Wait, RequestKind::Status});
    CHECK(w.requests[1].services == Lines{"app"});
    CHECK(w.out == Lines{"ok: run: web: (pid 123) 5s", "ok: down: db: 5s, normally up",
                         "timeout: run: app: (pid 50) 5s"});
}

TEST_CASE("sv exits with the number of failed services, at most 99", "[svctl]") {
    World w;
    std::vector<std::string> names;
    for (int i = 0; i < 120; ++i) names.push_back('s' + std::to_string(i));
    std::vector<std::string_view> argv{"status"};
    argv.insert(argv.end(), names.begin(), names.end());
    CHECK(w.sv(argv) == 99);
    CHECK(w.out.size() == 120);
}

TEST_CASE("sv: svinit refusing the request", "[svctl]") {
    svinit::svctl::RunContext context;
    auto args = svinit::svctl::parse_sv_args(std::vector<std::string_view>{"status", "web", "db"},
                                             std::nullopt);
    REQUIRE(args);
    Lines out, err;
    context.exchange = [](const Request&, std::optional<std::chrono::milliseconds>) {
        Response r;
        r.error = ErrorCode::PermissionDenied;
        r.message = "uid 1000 may not use svinit";
        return svinit::core::Result<Response>(r);
    };
    context.out = [&](std::string_view line) { out.emplace_back(line); };
    context.err = [&](std::string_view line) { err.emplace_back(line); };
    context.wall_now = [] { return kNow; };
    context.steady_now = [] { return std::chrono::steady_clock::time_point{}; };
    context.socket_path = "/run/test.sock";
    CHECK(svinit::svctl::run_sv(*args, context) == 2);
    CHECK(out == Lines{"warning: web: unable to open supervise/ok: access denied",
                       "warning: db: unable to open supervise/ok: access denied"});
    CHECK(err == Lines{"svctl: permission denied by svinit at /run/test.sock"});
}
