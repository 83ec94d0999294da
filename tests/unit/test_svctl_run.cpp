#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "svctl/client.h"
#include "svctl/run.h"

using namespace std::chrono_literals;
using svinit::control::ErrorCode;
using svinit::control::Request;
using svinit::control::RequestKind;
using svinit::control::Response;
using svinit::control::ServiceResult;
using svinit::services::State;
using svinit::services::Want;
using svinit::svctl::run_svctl;
using svinit::svctl::SvctlArgs;
using Lines = std::vector<std::string>;

namespace {

const svinit::svctl::WallTime kNow{std::chrono::seconds(1'700'000'000)};

svinit::services::ServiceStatus running(std::string name, pid_t pid) {
    svinit::services::ServiceStatus s;
    s.name = std::move(name);
    s.dir = "/etc/service/" + s.name;
    s.main.state = State::Run;
    s.main.pid = pid;
    s.main.since = kNow - 10s;
    s.main.want = Want::Up;
    return s;
}

// Answers each request with `answer`, and keeps what svctl sent and printed.
struct Fake {
    std::function<svinit::core::Result<Response>(const Request&)> answer;
    std::vector<Request> requests;
    std::vector<std::optional<std::chrono::milliseconds>> timeouts;
    Lines out, err;

    int run(std::vector<std::string_view> argv) {
        auto args = svinit::svctl::parse_svctl_args(argv, std::nullopt);
        REQUIRE(args);
        args->socket_path = "/run/test.sock";
        svinit::svctl::RunContext context;
        context.exchange = [this](const Request& request,
                                  std::optional<std::chrono::milliseconds> timeout) {
            requests.push_back(request);
            timeouts.push_back(timeout);
            return answer(request);
        };
        context.out = [this](std::string_view line) { out.emplace_back(line); };
        context.err = [this](std::string_view line) { err.emplace_back(line); };
        context.wall_now = [] { return kNow; };
        context.steady_now = [] { return std::chrono::steady_clock::time_point{}; };
        context.socket_path = args->socket_path;
        context.cwd = "/srv";
        return run_svctl(*args, context);
    }
};

ServiceResult ok(std::string service) {
    return {std::move(service), ErrorCode::None, {}, {}};
}

ServiceResult failed(std::string service, ErrorCode code, std::string message) {
    return {std::move(service), code, std::move(message), {}};
}

}  // namespace

TEST_CASE("svctl status: all services under their canonical names", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request&) {
        Response r;
        r.results.push_back({"db", ErrorCode::None, {}, running("db", 12)});
        auto web = running("web", 13);
        web.log = running("web-log", 14).main;
        r.results.push_back({"web", ErrorCode::None, {}, web});
        return r;
    };
    CHECK(fake.run({"status"}) == 0);
    REQUIRE(fake.requests.size() == 1);
    CHECK(fake.requests[0].kind == RequestKind::Status);
    CHECK(fake.requests[0].services.empty());
    CHECK(fake.timeouts[0] == svinit::svctl::kDefaultTimeout);
    CHECK(fake.out ==
          Lines{"run: db: (pid 12) 10s", "run: web: (pid 13) 10s; run: log: (pid 14) 10s"});
    CHECK(fake.err.empty());
}

TEST_CASE("svctl status prints names as given and sends paths absolute", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request& request) {
        Response r;
        r.results.push_back({request.services[0], ErrorCode::None, {}, running("web", 5)});
        r.results.push_back(failed(request.services[1], ErrorCode::UnknownService,
                                   request.services[1] + ": no such service"));
        return r;
    };
    CHECK(fake.run({"status", "./web", "nope"}) == 5);
    CHECK(fake.requests[0].services == Lines{"/srv/web", "nope"});
    CHECK(fake.out == Lines{"run: ./web: (pid 5) 10s"});
    CHECK(fake.err == Lines{"svctl: nope: no such service"});
}

TEST_CASE("svctl shows svinit's own states", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request&) {
        auto s = running("web", 0);
        s.main.state = State::Backoff;
        s.main.reason = "exited with status 1 after 0.2s";
        Response r;
        r.results.push_back({"web", ErrorCode::None, {}, s});
        return r;
    };
    CHECK(fake.run({"status", "web"}) == 0);
    CHECK(fake.out ==
          Lines{"backoff: web: 10s, normally up, want up; exited with status 1 after 0.2s"});
}

TEST_CASE("svctl: cannot reach svinit is exit 3, a refused connection 4", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request&) -> svinit::core::Result<Response> {
        return svinit::core::error(ENOENT, "cannot reach svinit at /run/test.sock");
    };
    CHECK(fake.run({"up", "web"}) == 3);
    CHECK(fake.err ==
          Lines{"svctl: cannot reach svinit at /run/test.sock: No such file or directory"});

    Fake denied;
    denied.answer = [](const Request&) -> svinit::core::Result<Response> {
        return svinit::core::error(EACCES, "cannot reach svinit at /run/test.sock");
    };
    CHECK(denied.run({"status"}) == 4);
    CHECK(denied.err == Lines{"svctl: cannot reach svinit at /run/test.sock: Permission denied"});
}

TEST_CASE("svctl: svinit's refusals name the socket", "[svctl]") {
    auto refused = [](ErrorCode code) {
        Fake fake;
        fake.answer = [code](const Request&) {
            Response r;
            r.error = code;
            r.message = "nope";
            return r;
        };
        int exit = fake.run({"down", "web"});
        return std::pair{exit, fake.err};
    };
    CHECK(refused(ErrorCode::PermissionDenied) ==
          std::pair{4, Lines{"svctl: permission denied by svinit at /run/test.sock"}});
    CHECK(refused(ErrorCode::Busy) ==
          std::pair{3, Lines{"svctl: svinit at /run/test.sock is busy: nope"}});
    CHECK(refused(ErrorCode::UnsupportedVersion) ==
          std::pair{
              3, Lines{"svctl: svinit at /run/test.sock speaks another protocol version: nope"}});
    CHECK(refused(ErrorCode::BadRequest) ==
          std::pair{1, Lines{"svctl: svinit at /run/test.sock refused the request: nope"}});
    CHECK(refused(ErrorCode::Failed) == std::pair{1, Lines{"svctl: nope"}});
}

TEST_CASE("svctl commands are silent when they work", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request& request) {
        Response r;
        for (const auto& s : request.services) r.results.push_back(ok(s));
        return r;
    };
    CHECK(fake.run({"restart", "web", "/etc/service/db"}) == 0);
    CHECK(fake.requests[0].kind == RequestKind::Command);
    CHECK(fake.requests[0].command == svinit::services::Command::Restart);
    CHECK(fake.requests[0].services == Lines{"web", "/etc/service/db"});
    CHECK(fake.out.empty());
    CHECK(fake.err.empty());
}

TEST_CASE("svctl names each service that failed; the largest exit code wins", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request&) {
        Response r;
        r.results.push_back(ok("web"));
        r.results.push_back(failed("db", ErrorCode::Failed, "db: kill: No such process"));
        r.results.push_back(failed("nope", ErrorCode::UnknownService, "nope: no such service"));
        return r;
    };
    CHECK(fake.run({"kill", "web", "db", "nope"}) == 5);
    CHECK(fake.err == Lines{"svctl: db: kill: No such process", "svctl: nope: no such service"});

    Fake one;
    one.answer = [](const Request&) {
        Response r;
        r.results.push_back(failed("db", ErrorCode::Failed, ""));
        return r;
    };
    CHECK(one.run({"hup", "db"}) == 1);
    CHECK(one.err == Lines{"svctl: db: failed"});
}

TEST_CASE("svctl wait: the timeout goes on the wire, the socket waits 5s longer", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request& request) {
        Response r;
        r.results.push_back(ok(request.services[0]));
        r.results.push_back(failed(request.services[1], ErrorCode::Timeout,
                                   request.services[1] + ": not up after 2000 ms"));
        return r;
    };
    CHECK(fake.run({"wait", "up", "--timeout", "2", "web", "./db"}) == 1);
    CHECK(fake.requests[0].kind == RequestKind::Wait);
    CHECK(fake.requests[0].target == svinit::services::WaitTarget::Up);
    CHECK(fake.requests[0].timeout == 2000ms);
    CHECK(fake.timeouts[0] == 7000ms);
    CHECK(fake.err == Lines{"svctl: ./db: not up after 2000 ms"});

    Fake forever;
    forever.answer = [](const Request& request) {
        Response r;
        r.results.push_back(ok(request.services[0]));
        return r;
    };
    CHECK(forever.run({"wait", "down", "web"}) == 0);
    CHECK(forever.requests[0].timeout == 0ms);
    CHECK_FALSE(forever.timeouts[0]);

    // 0 on the wire would mean "forever": --timeout 0 asks for a single look instead.
    Fake now;
    now.answer = forever.answer;
    CHECK(now.run({"wait", "up", "--timeout", "0", "web"}) == 0);
    CHECK(now.requests[0].timeout == 1ms);
}

TEST_CASE("svctl check: exit 0 only when svinit says so, else name what is down", "[svctl]") {
    Fake good;
    good.answer = [](const Request&) {
        Response r;
        r.check_ok = true;
        return r;
    };
    CHECK(good.run({"check"}) == 0);
    CHECK(good.requests[0].kind == RequestKind::Check);
    CHECK(good.err.empty());

    Fake bad;
    bad.answer = [](const Request& request) {
        Response r;
        if (request.kind == RequestKind::Status) {
            r.results.push_back({"db", ErrorCode::None, {}, running("db", 3)});
            auto web = running("web", 0);
            web.main.state = State::Backoff;
            web.main.reason = "exited with status 1 after 0.1s";
            r.results.push_back({"web", ErrorCode::None, {}, web});
            auto extra = running("extra", 0);
            extra.main.state = State::Down;
            extra.main.normally_down = true;
            extra.main.want = Want::Down;
            r.results.push_back({"extra", ErrorCode::None, {}, extra});
        }
        return r;
    };
    CHECK(bad.run({"check"}) == 1);
    REQUIRE(bad.requests.size() == 2);
    CHECK(bad.err == Lines{"svctl: check failed: backoff: web: 10s, normally up, want up; exited "
                           "with status 1 after 0.1s"});

    Fake unexplained;
    unexplained.answer = [](const Request&) { return Response{}; };
    CHECK(unexplained.run({"check"}) == 1);
    CHECK(unexplained.err ==
          Lines{"svctl: check failed: not every service is as wanted"});
}

TEST_CASE("svctl shutdown", "[svctl]") {
    Fake fake;
    fake.answer = [](const Request&) {
        Response r;
        r.message = "svinit is shutting down";
        return r;
    };
    CHECK(fake.run({"shutdown"}) == 0);
    CHECK(fake.requests[0].kind == RequestKind::Shutdown);
    CHECK(fake.out.empty());
}

TEST_CASE("svctl reload: silent when applied; a refused configuration's errors, exit 1",
          "[svctl]") {
    Fake ok;
    ok.answer = [](const Request&) {
        Response r;
        r.message = "configuration reloaded";
        return r;
    };
    CHECK(ok.run({"reload"}) == 0);
    CHECK(ok.requests[0].kind == RequestKind::Reload);
    CHECK(ok.out.empty());
    CHECK(ok.err.empty());

    Fake refused;
    refused.answer = [](const Request&) {
        Response r;
        r.error = ErrorCode::Failed;
        r.message = "reload rejected, services unchanged: 1 error\n/etc/svinit.toml:3:11: "
                    "services.web.command: expected an array";
        return r;
    };
    CHECK(refused.run({"reload"}) == 1);
    REQUIRE(refused.err.size() == 1);
    CHECK(refused.err[0] ==
          "svctl: reload rejected, services unchanged: 1 error\n/etc/svinit.toml:3:11: "
          "services.web.command: expected an array");
}

TEST_CASE("svctl --json prints one JSON document", "[svctl]") {
    Fake status;
    status.answer = [](const Request& request) {
        Response r;
        r.results.push_back({request.services[0], ErrorCode::None, {}, running("web", 5)});
        r.results.push_back(failed("nope", ErrorCode::UnknownService, "nope: no such service"));
        return r;
    };
    CHECK(status.run({"--json", "status", "./web", "nope"}) == 5);
    REQUIRE(status.out.size() == 1);
    auto doc = nlohmann::json::parse(status.out[0]);
    CHECK(doc["services"][0]["service"] == "./web");
    CHECK(doc["services"][0]["state"] == "run");
    CHECK(doc["services"][1]["error"] == "unknown_service");

    Fake command;
    command.answer = [](const Request&) {
        Response r;
        r.results.push_back(ok("web"));
        return r;
    };
    CHECK(command.run({"up", "web", "--json"}) == 0);
    REQUIRE(command.out.size() == 1);
    auto answer = nlohmann::json::parse(command.out[0]);
    CHECK(answer["ok"] == true);
    CHECK(answer["results"][0]["service"] == "web");
}

TEST_CASE("svctl exit codes per error code", "[svctl]") {
    using svinit::svctl::exit_code_for;
    CHECK(exit_code_for(ErrorCode::None) == 0);
    CHECK(exit_code_for(ErrorCode::Failed) == 1);
    CHECK(exit_code_for(ErrorCode::Timeout) == 1);
    CHECK(exit_code_for(ErrorCode::BadRequest) == 1);
    CHECK(exit_code_for(ErrorCode::TooLarge) == 1);
    CHECK(exit_code_for(ErrorCode::Busy) == 3);
    CHECK(exit_code_for(ErrorCode::UnsupportedVersion) == 3);
    CHECK(exit_code_for(ErrorCode::PermissionDenied) == 4);
    CHECK(exit_code_for(ErrorCode::UnknownService) == 5);
    CHECK(svinit::svctl::exit_code_for_transport({EACCES, "x"}) == 4);
    CHECK(svinit::svctl::exit_code_for_transport({EPERM, "x"}) == 4);
    CHECK(svinit::svctl::exit_code_for_transport({ECONNREFUSED, "x"}) == 3);
    CHECK(svinit::svctl::exit_code_for_transport({0, "no answer"}) == 3);
}

TEST_CASE("messages that already name the service are not prefixed twice", "[svctl]") {
    using svinit::svctl::strip_service_prefix;
    CHECK(strip_service_prefix("web: no such service", "web") == "no such service");
    CHECK(strip_service_prefix("webby: x", "web") == "webby: x");
    CHECK(strip_service_prefix("web: ", "web") == "web: ");
    CHECK(strip_service_prefix("other", "web") == "other");
    CHECK(strip_service_prefix("x", "") == "x");
}
