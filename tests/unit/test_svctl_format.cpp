#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "svctl/format.h"

using namespace std::chrono_literals;
using svinit::core::ExitStatus;
using svinit::services::ProcessStatus;
using svinit::services::ServiceStatus;
using svinit::services::State;
using svinit::services::Want;
using svinit::svctl::Dialect;
using svinit::svctl::format_process;
using svinit::svctl::format_status_line;
using svinit::svctl::seconds_since;
using svinit::svctl::WallTime;

namespace {

const WallTime kNow{std::chrono::seconds(1'700'000'000)};

ProcessStatus process(State state, pid_t pid, std::chrono::milliseconds age, Want want) {
    ProcessStatus p;
    p.state = state;
    p.pid = pid;
    p.since = kNow - age;
    p.want = want;
    return p;
}

ServiceStatus service(ProcessStatus main, std::optional<ProcessStatus> log = std::nullopt) {
    ServiceStatus s;
    s.name = "web";
    s.dir = "/etc/service/web";
    s.main = std::move(main);
    s.log = std::move(log);
    return s;
}

std::string svctl(const ProcessStatus& p) {
    return format_process("web", p, kNow, Dialect::Svctl);
}
std::string runit(const ProcessStatus& p) {
    return format_process("web", p, kNow, Dialect::Runit);
}

}  // namespace

TEST_CASE("seconds are whole, counted from since, never negative", "[svctl]") {
    CHECK(seconds_since(kNow - 45900ms, kNow) == 45);
    CHECK(seconds_since(kNow - 999ms, kNow) == 0);
    CHECK(seconds_since(kNow, kNow) == 0);
    CHECK(seconds_since(kNow + 5s, kNow) == 0);
}

TEST_CASE("run lines as sv prints them", "[svctl]") {
    auto p = process(State::Run, 123, 45s, Want::Up);
    CHECK(svctl(p) == "run: web: (pid 123) 45s");
    CHECK(runit(p) == "run: web: (pid 123) 45s");

    p.normally_down = true;
    CHECK(runit(p) == "run: web: (pid 123) 45s, normally down");
    p.paused = true;
    CHECK(runit(p) == "run: web: (pid 123) 45s, normally down, paused");
    p.want = Want::Down;
    CHECK(runit(p) == "run: web: (pid 123) 45s, normally down, paused, want down");
    p.got_term = true;
    CHECK(runit(p) == "run: web: (pid 123) 45s, normally down, paused, want down, got TERM");
    CHECK(svctl(p) == "run: web: (pid 123) 45s, normally down, paused, want down, got TERM");
}

TEST_CASE("down lines as sv prints them", "[svctl]") {
    auto p = process(State::Down, 0, 3s, Want::Down);
    CHECK(runit(p) == "down: web: 3s, normally up");
    p.want = Want::Up;
    CHECK(runit(p) == "down: web: 3s, normally up, want up");
    p.normally_down = true;
    CHECK(runit(p) == "down: web: 3s, want up");
    p.want = Want::Down;
    CHECK(runit(p) == "down: web: 3s");
    CHECK(svctl(p) == "down: web: 3s");
    // Flags that only make sense with a process are not printed without one.
    p.paused = true;
    p.got_term = true;
    CHECK(runit(p) == "down: web: 3s");
}

TEST_CASE("finish lines carry the finish script's pid", "[svctl]") {
    auto p = process(State::Finish, 77, 0s, Want::Up);
    CHECK(runit(p) == "finish: web: (pid 77) 0s");
    CHECK(svctl(p) == "finish: web: (pid 77) 0s");
    p.want = Want::Down;
    CHECK(runit(p) == "finish: web: (pid 77) 0s, want down");
}

TEST_CASE("starting and stopping are run in sv's words", "[svctl]") {
    auto starting = process(State::Starting, 9, 2s, Want::Up);
    CHECK(svctl(starting) == "starting: web: (pid 9) 2s");
    CHECK(runit(starting) == "run: web: (pid 9) 2s");

    auto stopping = process(State::Stopping, 9, 1s, Want::Down);
    stopping.got_term = true;
    CHECK(svctl(stopping) == "stopping: web: (pid 9) 1s, want down, got TERM");
    CHECK(runit(stopping) == "run: web: (pid 9) 1s, want down, got TERM");
    // Stopping means TERM was sent, whatever the flag says.
    stopping.got_term = false;
    CHECK(svctl(stopping) == "stopping: web: (pid 9) 1s, want down");
    CHECK(runit(stopping) == "run: web: (pid 9) 1s, want down, got TERM");
    // A restart: stopping with want up.
    stopping.want = Want::Up;
    CHECK(runit(stopping) == "run: web: (pid 9) 1s, got TERM");
}

TEST_CASE("backoff and failed show the reason, or down with want up for sv", "[svctl]") {
    auto backoff = process(State::Backoff, 0, 2s, Want::Up);
    backoff.reason = "exited with status 1 after 0.2s";
    backoff.restarts = 4;
    CHECK(svctl(backoff) ==
          "backoff: web: 2s, normally up, want up; exited with status 1 after 0.2s");
    CHECK(runit(backoff) == "down: web: 2s, normally up, want up");

    auto failed = process(State::Failed, 0, 30s, Want::Up);
    failed.reason = "finish exited 125: do not restart";
    CHECK(svctl(failed) ==
          "failed: web: 30s, normally up, want up; finish exited 125: do not restart");
    CHECK(runit(failed) == "down: web: 30s, normally up, want up");

    failed.reason.clear();
    CHECK(svctl(failed) == "failed: web: 30s, normally up, want up");
    // The reason is only for backoff and failed.
    auto down = process(State::Down, 0, 1s, Want::Down);
    down.reason = "stale";
    CHECK(svctl(down) == "down: web: 1s, normally up");
}

TEST_CASE("a sandbox's cgroup usage follows the state while it runs, never for sv", "[svctl]") {
    auto run = process(State::Run, 7, 5s, Want::Up);
    run.usage = "memory 12.4M, 3 procs";
    CHECK(svctl(run) == "run: web: (pid 7) 5s; memory 12.4M, 3 procs");
    CHECK(runit(run) == "run: web: (pid 7) 5s");
}

TEST_CASE("want once is runit's want down", "[svctl]") {
    auto p = process(State::Run, 3, 1s, Want::Once);
    CHECK(svctl(p) == "run: web: (pid 3) 1s, want once");
    CHECK(runit(p) == "run: web: (pid 3) 1s, want down");
    auto b = process(State::Backoff, 0, 1s, Want::Once);
    CHECK(svctl(b) == "backoff: web: 1s, normally up, want once");
    CHECK(runit(b) == "down: web: 1s, normally up");
}

TEST_CASE("the logger follows after a semicolon, named log", "[svctl]") {
    auto s =
        service(process(State::Run, 123, 45s, Want::Up), process(State::Run, 124, 45s, Want::Up));
    CHECK(format_status_line("web", s, kNow, Dialect::Runit) ==
          "run: web: (pid 123) 45s; run: log: (pid 124) 45s");
    CHECK(format_status_line("/etc/service/web", s, kNow, Dialect::Svctl) ==
          "run: /etc/service/web: (pid 123) 45s; run: log: (pid 124) 45s");

    s.log = process(State::Down, 0, 3s, Want::Up);
    CHECK(format_status_line("web", s, kNow, Dialect::Runit) ==
          "run: web: (pid 123) 45s; down: log: 3s, normally up, want up");

    s.log->state = State::Backoff;
    s.log->reason = "exited with status 2 after 0.1s";
    CHECK(format_status_line("web", s, kNow, Dialect::Svctl) ==
          "run: web: (pid 123) 45s; backoff: log: 3s, normally up, want up; exited with status 2 "
          "after 0.1s");

    s.log.reset();
    CHECK(format_status_line("web", s, kNow, Dialect::Runit) == "run: web: (pid 123) 45s");
}

TEST_CASE("status JSON has every field, per service", "[svctl]") {
    auto main = process(State::Run, 123, 45s, Want::Up);
    main.last_exit = ExitStatus::signaled(9);
    main.restarts = 2;
    std::vector<svinit::control::ServiceResult> results(2);
    results[0].service = "/etc/service/web";
    results[0].status = service(main, process(State::Down, 0, 3s, Want::Down));
    results[1].service = "nope";
    results[1].error = svinit::control::ErrorCode::UnknownService;
    results[1].message = "nope: no such service";
    std::vector<std::string> names{"/etc/service/web", "nope"};

    auto doc = nlohmann::json::parse(svinit::svctl::status_json(results, names, kNow));
    REQUIRE(doc["services"].size() == 2);
    const auto& web = doc["services"][0];
    CHECK(web["service"] == "/etc/service/web");
    CHECK(web["name"] == "web");
    CHECK(web["dir"] == "/etc/service/web");
    CHECK(web["state"] == "run");
    CHECK(web["pid"] == 123);
    CHECK(web["since_ms"] == 1'699'999'955'000LL);
    CHECK(web["seconds"] == 45);
    CHECK(web["want"] == "up");
    CHECK(web["normally_down"] == false);
    CHECK(web["paused"] == false);
    CHECK(web["got_term"] == false);
    CHECK(web["restarts"] == 2);
    CHECK(web["last_exit"]["kind"] == "signaled");
    CHECK(web["last_exit"]["signal"] == 9);
    CHECK(web["last_exit"]["description"] == ExitStatus::signaled(9).describe());
    CHECK(web["log"]["state"] == "down");
    CHECK(web["log"]["last_exit"].is_null());
    const auto& nope = doc["services"][1];
    CHECK(nope["service"] == "nope");
    CHECK(nope["error"] == "unknown_service");
    CHECK(nope["message"] == "nope: no such service");
    CHECK_FALSE(nope.contains("state"));
}

TEST_CASE("status JSON without names uses the canonical ones; bad UTF-8 does not throw",
          "[svctl]") {
    std::vector<svinit::control::ServiceResult> results(1);
    results[0].status = service(process(State::Down, 0, 1s, Want::Down));
    results[0].status->main.last_exit = ExitStatus::exited(3);
    auto doc = nlohmann::json::parse(svinit::svctl::status_json(results, {}, kNow));
    CHECK(doc["services"][0]["service"] == "web");
    CHECK(doc["services"][0]["log"].is_null());
    CHECK(doc["services"][0]["last_exit"]["kind"] == "exited");
    CHECK(doc["services"][0]["last_exit"]["code"] == 3);

    std::vector<std::string> names{"bad\xff"};
    CHECK_NOTHROW(svinit::svctl::status_json(results, names, kNow));
}

TEST_CASE("response JSON carries the error codes by their wire names", "[svctl]") {
    svinit::control::Response response;
    response.results.resize(2);
    response.results[0].service = "/srv/web";
    response.results[1].service = "db";
    response.results[1].error = svinit::control::ErrorCode::Failed;
    response.results[1].message = "db: cannot signal";
    std::vector<std::string> names{"./web", "db"};
    auto doc = nlohmann::json::parse(
        svinit::svctl::response_json(response, svinit::control::RequestKind::Command, names));
    CHECK_FALSE(doc.contains("check_ok"));
    CHECK(doc["ok"] == false);
    CHECK(doc["error"] == "none");
    CHECK(doc["results"][0]["service"] == "./web");
    CHECK(doc["results"][0]["error"] == "none");
    CHECK(doc["results"][1]["error"] == "failed");
    CHECK(doc["results"][1]["message"] == "db: cannot signal");

    svinit::control::Response check;
    check.check_ok = true;
    auto checked = nlohmann::json::parse(
        svinit::svctl::response_json(check, svinit::control::RequestKind::Check, {}));
    CHECK(checked["ok"] == true);
    CHECK(checked["check_ok"] == true);
    CHECK(checked["results"].empty());
}

TEST_CASE("dropped output lines show in status, as text and JSON, when the policy drops",
          "[svctl]") {
    ServiceStatus s = service(process(State::Run, 123, 45s, Want::Up));
    CHECK(format_status_line("web", s, kNow, Dialect::Svctl) == "run: web: (pid 123) 45s");
    s.dropped_lines = 0;
    CHECK(format_status_line("web", s, kNow, Dialect::Svctl) == "run: web: (pid 123) 45s");
    s.dropped_lines = 7;
    CHECK(format_status_line("web", s, kNow, Dialect::Svctl) ==
          "run: web: (pid 123) 45s; 7 output lines dropped");
    CHECK(format_status_line("web", s, kNow, Dialect::Runit) == "run: web: (pid 123) 45s");

    std::vector<svinit::control::ServiceResult> results(2);
    results[0].status = s;
    results[1].status = service(process(State::Down, 0, 1s, Want::Down));
    auto doc = nlohmann::json::parse(svinit::svctl::status_json(results, {}, kNow));
    CHECK(doc["services"][0]["dropped_lines"] == 7);
    CHECK_FALSE(doc["services"][1].contains("dropped_lines"));
}

TEST_CASE("health shows in status, as text and JSON", "[svctl][health]") {
    ServiceStatus s = service(process(State::Run, 123, 45s, Want::Up));
    s.health = svinit::services::HealthStatus{};
    CHECK(format_status_line("web", s, kNow, Dialect::Svctl) ==
          "run: web: (pid 123) 45s; health: starting");
    s.health->state = svinit::services::Health::Healthy;
    s.health->last = "passed";
    CHECK(format_status_line("web", s, kNow, Dialect::Svctl) ==
          "run: web: (pid 123) 45s; health: healthy");
    CHECK(svinit::services::service_ok(s));
    s.health = {svinit::services::Health::Unhealthy, 2, "exited with status 1"};
    CHECK(format_status_line("web", s, kNow, Dialect::Svctl) ==
          "run: web: (pid 123) 45s; health: unhealthy (2 in a row: exited with status 1)");
    CHECK(format_status_line("web", s, kNow, Dialect::Runit) == "run: web: (pid 123) 45s");
    CHECK_FALSE(svinit::services::service_ok(s));  // check fails while it runs unhealthy

    std::vector<svinit::control::ServiceResult> results(2);
    results[0].status = s;
    results[1].status = service(process(State::Down, 0, 1s, Want::Down));
    auto doc = nlohmann::json::parse(svinit::svctl::status_json(results, {}, kNow));
    CHECK(doc["services"][0]["health"] ==
          nlohmann::json{{"state", "unhealthy"}, {"failures", 2}, {"last", "exited with status 1"}});
    CHECK(doc["services"][1]["health"].is_null());
}
