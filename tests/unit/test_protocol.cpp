// The control protocol codec (control/protocol.h): round trips for every request kind
// and every status field, the wire names of docs/protocol.md, every way a request can be
// malformed (an error value, never an exception), and a cheap fuzz.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "control/peer_auth.h"
#include "control/protocol.h"

using namespace svinit;
using namespace svinit::control;
using services::Command;
using services::State;
using services::WaitTarget;
using services::Want;
using Json = nlohmann::json;

namespace {

constexpr std::array kAllCommands{Command::Up,    Command::Down, Command::Once, Command::Restart,
                                  Command::Pause, Command::Cont, Command::Term, Command::Kill,
                                  Command::Hup,   Command::Int,  Command::Quit, Command::Usr1,
                                  Command::Usr2,  Command::Alarm, Command::Exit};
constexpr std::array kAllStates{State::Down,   State::Starting, State::Run,   State::Stopping,
                                State::Finish, State::Backoff,  State::Failed};
constexpr std::array kAllErrors{ErrorCode::BadRequest,     ErrorCode::UnsupportedVersion,
                                ErrorCode::TooLarge,       ErrorCode::PermissionDenied,
                                ErrorCode::UnknownService, ErrorCode::Failed,
                                ErrorCode::Timeout,        ErrorCode::Busy};

Request round_trip(const Request& request) {
    const std::string line = encode_request(request);
    INFO(line);
    CHECK(line.find('\n') == std::string::npos);
    auto decoded = decode_request(line);
    INFO((decoded ? "" : decoded.error().message()));
    REQUIRE(decoded);
    return *decoded;
}

std::chrono::system_clock::time_point at_ms(std::int64_t ms) {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

services::ServiceStatus full_status() {
    services::ServiceStatus s;
    s.name = "web";
    s.dir = "/etc/service/web";
    s.main.state = State::Backoff;
    s.main.pid = 4242;
    s.main.since = at_ms(1'700'000'000'123);
    s.main.want = Want::Once;
    s.main.normally_down = true;
    s.main.paused = true;
    s.main.got_term = true;
    s.main.last_exit = core::ExitStatus::signaled(11, true);
    s.main.restarts = std::numeric_limits<std::uint32_t>::max();
    s.main.reason = "exited with status 1 after 0.2s";
    services::ProcessStatus log;
    log.state = State::Run;
    log.pid = 77;
    log.since = at_ms(-5);  // before the epoch: a clock set back
    log.want = Want::Up;
    log.last_exit = core::ExitStatus::exited(3);
    log.restarts = 2;
    s.log = log;
    s.dropped_lines = 12;
    s.health = services::HealthStatus{services::Health::Unhealthy, 2, "exited with status 1"};
    return s;
}

void check_same(const services::ProcessStatus& a, const services::ProcessStatus& b) {
    CHECK(a.state == b.state);
    CHECK(a.pid == b.pid);
    CHECK(a.since == b.since);
    CHECK(a.want == b.want);
    CHECK(a.normally_down == b.normally_down);
    CHECK(a.paused == b.paused);
    CHECK(a.got_term == b.got_term);
    CHECK(a.last_exit == b.last_exit);
    CHECK(a.restarts == b.restarts);
    CHECK(a.reason == b.reason);
}

void check_same(const services::ServiceStatus& a, const services::ServiceStatus& b) {
    CHECK(a.name == b.name);
    CHECK(a.dir == b.dir);
    check_same(a.main, b.main);
    REQUIRE(a.log.has_value() == b.log.has_value());
    if (a.log) check_same(*a.log, *b.log);
    CHECK(a.dropped_lines == b.dropped_lines);
    CHECK(a.health == b.health);
}

Response response_round_trip(const Response& response) {
    const std::string line = encode_response(response);
    INFO(line);
    CHECK(line.find('\n') == std::string::npos);
    auto decoded = decode_response(line);
    INFO((decoded ? "" : decoded.error().message()));
    REQUIRE(decoded);
    return *decoded;
}

// decode_request's verdict on a line: the error code, or None when it decodes.
ErrorCode verdict(std::string_view line) {
    const auto decoded = decode_request(line);
    if (decoded) return ErrorCode::None;
    CHECK_FALSE(decoded.error().context.empty());
    return decode_error_code(decoded.error());
}

}  // namespace

TEST_CASE("every request kind survives a round trip", "[protocol]") {
    Request status;
    CHECK(round_trip(status) == status);
    status.services = {"web", "/etc/service/db", "./log/"};
    CHECK(round_trip(status) == status);

    for (const Command c : kAllCommands) {
        Request r;
        r.kind = RequestKind::Command;
        r.command = c;
        r.services = {"a", "b"};
        CAPTURE(command_name(c));
        CHECK(round_trip(r) == r);
    }
    for (const WaitTarget target : {WaitTarget::Up, WaitTarget::Down}) {
        for (const auto timeout :
             {std::chrono::milliseconds(0), std::chrono::milliseconds(1500), kMaxWaitTimeout}) {
            Request r;
            r.kind = RequestKind::Wait;
            r.target = target;
            r.timeout = timeout;
            r.services = {"web"};
            CHECK(round_trip(r) == r);
        }
    }
    Request shutdown;
    shutdown.kind = RequestKind::Shutdown;
    CHECK(round_trip(shutdown) == shutdown);
    Request reload;
    reload.kind = RequestKind::Reload;
    CHECK(round_trip(reload) == reload);
    Request check;
    check.kind = RequestKind::Check;
    CHECK(round_trip(check) == check);

    Request many;
    many.kind = RequestKind::Command;
    many.services.assign(kMaxServicesPerRequest, "s");
    CHECK(round_trip(many) == many);
}

TEST_CASE("requests use the wire names of docs/protocol.md", "[protocol]") {
    Request r;
    r.kind = RequestKind::Wait;
    r.target = WaitTarget::Down;
    r.timeout = std::chrono::milliseconds(2500);
    r.services = {"web"};
    const Json j = Json::parse(encode_request(r));
    CHECK(j["v"] == 1);
    CHECK(j["cmd"] == "wait");
    CHECK(j["target"] == "down");
    CHECK(j["timeout_ms"] == 2500);
    CHECK(j["services"] == Json::array({"web"}));

    CHECK(decode_request(R"({"v":1,"cmd":"up","services":["x"]})")->command == Command::Up);
    CHECK(decode_request(R"({"v":1,"cmd":"usr2","services":["x"]})")->command == Command::Usr2);
    CHECK(decode_request(R"({"v":1,"cmd":"status"})")->services.empty());
    CHECK(decode_request(R"({"v":1,"cmd":"status","services":null})"));
    CHECK(decode_request(R"({"v":1,"cmd":"check","services":[]})")->kind == RequestKind::Check);
    const auto w = decode_request(R"({"v":1,"cmd":"wait","target":"up","services":["x"]})");
    REQUIRE(w);
    CHECK(w->timeout.count() == 0);
    // Members this version does not know are ignored; whitespace and CRLF are fine.
    CHECK(decode_request(" {\"cmd\":\"check\", \"extra\":[1,2], \"v\":1}\r"));
}

TEST_CASE("command names map both ways", "[protocol]") {
    for (const Command c : kAllCommands) CHECK(parse_command_name(command_name(c)) == c);
    CHECK(command_name(Command::Restart) == "restart");
    CHECK(command_name(Command::Alarm) == "alarm");
    CHECK_FALSE(parse_command_name("UP"));
    CHECK_FALSE(parse_command_name("status"));
    CHECK_FALSE(parse_command_name(""));
}

TEST_CASE("error codes map both ways", "[protocol]") {
    for (const ErrorCode e : kAllErrors) CHECK(parse_error_code(to_string(e)) == e);
    CHECK(to_string(ErrorCode::BadRequest) == "bad_request");
    CHECK(to_string(ErrorCode::UnsupportedVersion) == "unsupported_version");
    CHECK(to_string(ErrorCode::TooLarge) == "too_large");
    CHECK(to_string(ErrorCode::PermissionDenied) == "permission_denied");
    CHECK(to_string(ErrorCode::UnknownService) == "unknown_service");
    CHECK(to_string(ErrorCode::Busy) == "busy");
    CHECK_FALSE(parse_error_code("none"));
    CHECK_FALSE(parse_error_code("nope"));
}

TEST_CASE("a status response carries every field through a round trip", "[protocol]") {
    Response response;
    response.results.push_back({"web", ErrorCode::None, {}, full_status()});
    services::ServiceStatus plain;  // defaults: no log, no last exit
    plain.name = "db";
    response.results.push_back({"/etc/service/db", ErrorCode::None, {}, plain});
    response.results.push_back({"nope", ErrorCode::UnknownService, "nope: no such service", {}});

    const Response back = response_round_trip(response);
    CHECK_FALSE(back.ok());
    CHECK(back.error == ErrorCode::None);
    REQUIRE(back.results.size() == 3);
    CHECK(back.results[0].service == "web");
    REQUIRE(back.results[0].status);
    check_same(*back.results[0].status, full_status());
    CHECK(back.results[1].service == "/etc/service/db");
    REQUIRE(back.results[1].status);
    check_same(*back.results[1].status, plain);
    CHECK(back.results[2].error == ErrorCode::UnknownService);
    CHECK(back.results[2].message == "nope: no such service");
    CHECK_FALSE(back.results[2].status);

    // Every state and want, by its wire name.
    for (const State st : kAllStates) {
        for (const Want want : {Want::Up, Want::Down, Want::Once}) {
            Response r;
            services::ServiceStatus s = plain;
            s.main.state = st;
            s.main.want = want;
            r.results.push_back({"db", ErrorCode::None, {}, s});
            const Response b = response_round_trip(r);
            REQUIRE(b.results.size() == 1);
            REQUIRE(b.results[0].status);
            CHECK(b.results[0].status->main.state == st);
            CHECK(b.results[0].status->main.want == want);
        }
    }
}

TEST_CASE("status objects use the wire names of docs/protocol.md", "[protocol]") {
    Response response;
    response.results.push_back({"web", ErrorCode::None, {}, full_status()});
    const Json j = Json::parse(encode_response(response));
    CHECK(j["v"] == 1);
    CHECK(j["ok"] == true);
    CHECK_FALSE(j.contains("error"));
    const Json& r = j["results"][0];
    CHECK(r["service"] == "web");
    CHECK(r["ok"] == true);
    const Json& s = r["status"];
    CHECK(s["name"] == "web");
    CHECK(s["dir"] == "/etc/service/web");
    CHECK(s["state"] == "backoff");
    CHECK(s["pid"] == 4242);
    CHECK(s["since_ms"] == 1'700'000'000'123);
    CHECK(s["want"] == "once");
    CHECK(s["normally_down"] == true);
    CHECK(s["paused"] == true);
    CHECK(s["got_term"] == true);
    CHECK(s["last_exit"] == Json{{"kind", "signaled"}, {"value", 11}, {"core_dumped", true}});
    CHECK(s["restarts"] == 4294967295U);
    CHECK(s["reason"] == "exited with status 1 after 0.2s");
    CHECK(s["log"]["state"] == "run");
    CHECK(s["log"]["last_exit"]["kind"] == "exited");
    CHECK_FALSE(s["log"].contains("name"));
    CHECK_FALSE(s["log"].contains("dir"));

    services::ServiceStatus bare;
    bare.name = "x";
    Response r2;
    r2.results.push_back({"x", ErrorCode::None, {}, bare});
    const Json j2 = Json::parse(encode_response(r2));
    CHECK(j2["results"][0]["status"]["last_exit"].is_null());
    CHECK(j2["results"][0]["status"]["log"].is_null());
}

TEST_CASE("request-level errors and check results round trip", "[protocol]") {
    for (const ErrorCode e : kAllErrors) {
        Response r;
        r.error = e;
        r.message = "why";
        const Response back = response_round_trip(r);
        CHECK(back.error == e);
        CHECK(back.message == "why");
        CHECK_FALSE(back.ok());
        const Json j = Json::parse(encode_response(r));
        CHECK(j["ok"] == false);
        CHECK(j["error"] == std::string(to_string(e)));
    }
    Response check;
    check.check_ok = true;
    CHECK(response_round_trip(check).check_ok);
    CHECK(response_round_trip(check).ok());
    check.check_ok = false;
    CHECK_FALSE(response_round_trip(check).check_ok);

    // An error code newer than this client reads as "failed", not as a broken answer.
    const auto future = decode_response(R"({"v":1,"ok":false,"error":"overheated"})");
    REQUIRE(future);
    CHECK(future->error == ErrorCode::Failed);
}

TEST_CASE("malformed requests are error values, not exceptions", "[protocol]") {
    const std::vector<std::string> bad = {
        "",
        "   ",
        "garbage",
        "{",
        "[1,2,3]",
        "\"status\"",
        "null",
        "42",
        R"({"cmd":"status"})",           // no version
        R"({"v":null,"cmd":"status"})",  // null is absent
        R"({"v":1})",                    // no command
        R"({"v":1,"cmd":7})",
        R"({"v":1,"cmd":"explode","services":["a"]})",
        R"({"v":1,"cmd":"UP","services":["a"]})",
        R"({"v":1,"cmd":"up"})",  // no services
        R"({"v":1,"cmd":"up","services":[]})",
        R"({"v":1,"cmd":"up","services":"web"})",
        R"({"v":1,"cmd":"up","services":[1]})",
        R"({"v":1,"cmd":"up","services":[""]})",
        R"({"v":1,"cmd":"up","services":[null]})",
        R"({"v":1,"cmd":"up","services":[["web"]]})",
        R"({"v":1,"cmd":"up","services":["a\u0000b"]})",
        R"({"v":1,"cmd":"wait","services":["a"]})",  // no target
        R"({"v":1,"cmd":"wait","target":"sideways","services":["a"]})",
        R"({"v":1,"cmd":"wait","target":1,"services":["a"]})",
        R"({"v":1,"cmd":"wait","target":"up","services":["a"],"timeout_ms":-1})",
        R"({"v":1,"cmd":"wait","target":"up","services":["a"],"timeout_ms":1.5})",
        R"({"v":1,"cmd":"wait","target":"up","services":["a"],"timeout_ms":"5"})",
        R"({"v":1,"cmd":"wait","target":"up","services":["a"],"timeout_ms":86400001})",
        R"({"v":1,"cmd":"wait","target":"up","services":["a"],"timeout_ms":18446744073709551615})",
        R"({"v":1,"cmd":"shutdown","services":["a"]})",
        R"({"v":1,"cmd":"reload","services":["a"]})",
        R"({"v":1,"cmd":"status"} trailing)",
        "{\"v\":1,\"cmd\":\"up\",\"services\":[\"\xff\xfe\"]}",  // invalid UTF-8
        "{\"v\":1,\"cmd\":\"up\",\"services\":[\"\xc3\"]}",      // truncated sequence
        std::string(20, '[') + std::string(20, ']'),             // nested too deep
        std::string(60000, '['),
        std::string("{\"v\":1,\"cmd\":\"status\",\"x\":") + std::string(30, '[') +
            std::string(30, ']') + "}",
    };
    for (const std::string& line : bad) {
        CAPTURE(line.substr(0, 80));
        ErrorCode code = ErrorCode::None;
        REQUIRE_NOTHROW(code = verdict(line));
        CHECK(code == ErrorCode::BadRequest);
    }
}

TEST_CASE("too many services are refused", "[protocol]") {
    Request r;
    r.kind = RequestKind::Command;
    r.services.assign(kMaxServicesPerRequest + 1, "s");
    const auto decoded = decode_request(encode_request(r));
    REQUIRE_FALSE(decoded);
    CHECK(decode_error_code(decoded.error()) == ErrorCode::BadRequest);
    CHECK(decoded.error().context.find("4096") != std::string::npos);
}

TEST_CASE("another protocol version is refused as such", "[protocol]") {
    CHECK(verdict(R"({"v":2,"cmd":"status"})") == ErrorCode::UnsupportedVersion);
    CHECK(verdict(R"({"v":0,"cmd":"status"})") == ErrorCode::UnsupportedVersion);
    // Checked first: a future version's request shapes are not judged by this one's rules.
    CHECK(verdict(R"({"v":2,"cmd":"teleport","services":7})") == ErrorCode::UnsupportedVersion);
    const auto d = decode_request(R"({"v":2,"cmd":"status"})");
    REQUIRE_FALSE(d);
    CHECK(d.error().context.find("version 2") != std::string::npos);
    CHECK_FALSE(decode_response(R"({"v":2,"ok":true})"));
}

TEST_CASE("any v but the integer 1 is an unsupported version, as docs/protocol.md says",
          "[protocol]") {
    for (const char* v : {"-1", "1.0", "1.5", "\"1\"", "true", "[1]", "{\"major\":1}",
                          "18446744073709551615", "-9223372036854775808"}) {
        const std::string line = std::string(R"({"v":)") + v + R"(,"cmd":"status"})";
        CAPTURE(line);
        CHECK(verdict(line) == ErrorCode::UnsupportedVersion);
        const auto d = decode_request(line);
        REQUIRE_FALSE(d);
        // The message shows the value as sent, bounded.
        CHECK(d.error().context.find(std::string("version ") + v) != std::string::npos);
        CHECK_FALSE(decode_response(std::string(R"({"v":)") + v + R"(,"ok":true})"));
    }
    const auto long_v = decode_request(R"({"v":")" + std::string(1000, 'x') + R"("})");
    REQUIRE_FALSE(long_v);
    CHECK(decode_error_code(long_v.error()) == ErrorCode::UnsupportedVersion);
    CHECK(long_v.error().context.size() < 100);
}

TEST_CASE("a NUL byte anywhere in a line is a bad request that says so", "[protocol]") {
    using namespace std::string_literals;
    // nlohmann's parser stops at a NUL as if the input ended there: the first two were
    // accepted as a plain status request.
    for (const std::string& line :
         {R"({"v":1,"cmd":"status"})"s + '\0' + "junk", R"({"v":1,"cmd":"status"})"s + '\0',
          '\0' + R"({"v":1,"cmd":"status"})"s,
          R"({"v":1,"cmd":"up","services":["a)"s + '\0' + R"(b"]})"}) {
        CAPTURE(line);
        CHECK(verdict(line) == ErrorCode::BadRequest);
        const auto d = decode_request(line);
        REQUIRE_FALSE(d);
        CHECK(d.error().context.find("NUL byte at offset") != std::string::npos);
    }
    CHECK_FALSE(decode_response(R"({"v":1,"ok":true})"s + '\0' + "x"));
}

TEST_CASE("a request line over the limit is too large", "[protocol]") {
    std::string line = R"({"v":1,"cmd":"up","services":[")";
    line += std::string(kMaxRequestBytes, 'a') + "\"]}";
    CHECK(verdict(line) == ErrorCode::TooLarge);
    // Exactly at the limit is fine.
    std::string fits = R"({"v":1,"cmd":"up","services":[")";
    fits += std::string(kMaxRequestBytes - fits.size() - 3, 'a') + "\"]}";
    REQUIRE(fits.size() == kMaxRequestBytes);
    CHECK(verdict(fits) == ErrorCode::None);
}

TEST_CASE("invalid UTF-8 never makes encoding throw", "[protocol]") {
    Request r;
    r.kind = RequestKind::Command;
    r.services = {"web\xff", "\xc3(", "ok"};
    std::string line;
    REQUIRE_NOTHROW(line = encode_request(r));
    const auto back = decode_request(line);
    REQUIRE(back);
    REQUIRE(back->services.size() == 3);
    CHECK(back->services[0] == "web\xEF\xBF\xBD");  // U+FFFD in place of the bad byte
    CHECK(back->services[2] == "ok");

    Response response;
    response.message = "bad \xfe";
    services::ServiceStatus s;
    s.name = "n\xff";
    s.dir = "/etc/service/\xff";
    s.main.reason = "\x80";
    response.results.push_back({"n\xff", ErrorCode::Failed, "n\xff: failed", s});
    REQUIRE_NOTHROW(line = encode_response(response));
    const auto rb = decode_response(line);
    REQUIRE(rb);
    REQUIRE(rb->results.size() == 1);
    CHECK(rb->results[0].service == "n\xEF\xBF\xBD");
}

TEST_CASE("malformed responses are error values", "[protocol]") {
    const std::vector<std::string> bad = {
        "",
        "{}",
        R"({"v":1})",  // no ok
        R"({"v":1,"ok":"yes"})",
        R"({"v":1,"ok":true,"results":{}})",
        R"({"v":1,"ok":true,"results":[1]})",
        R"({"v":1,"ok":true,"results":[{"ok":true}]})",  // no service
        R"({"v":1,"ok":true,"results":[{"service":"a","ok":true,"status":{"name":"a"}}]})",
        R"({"v":1,"ok":true,"results":[{"service":"a","ok":true,"status":7}]})",
    };
    for (const std::string& line : bad) {
        CAPTURE(line);
        bool decoded = true;
        REQUIRE_NOTHROW(decoded = decode_response(line).has_value());
        CHECK_FALSE(decoded);
    }
    // A status with one field of the wrong type or out of range.
    Response r;
    r.results.push_back({"web", ErrorCode::None, {}, full_status()});
    const Json good = Json::parse(encode_response(r));
    const std::vector<std::pair<std::string, Json>> breakages = {
        {"state", "dancing"},
        {"pid", -1},
        {"pid", "1"},
        {"since_ms", 1.5},
        {"since_ms", std::numeric_limits<std::int64_t>::min()},  // overflows the clock
        {"want", 3},
        {"paused", 1},
        {"restarts", -1},
        {"restarts", 4294967296U},
        {"last_exit", 3},
        {"last_exit", Json{{"kind", "vanished"}, {"value", 1}, {"core_dumped", false}}},
        {"log", "none"},
        {"reason", false},
        {"name", nullptr},
    };
    for (const auto& [key, value] : breakages) {
        Json j = good;
        j["results"][0]["status"][key] = value;
        CAPTURE(key, value.dump());
        const auto d = decode_response(j.dump());
        REQUIRE_FALSE(d);
        CHECK(d.error().context.find(key) != std::string::npos);
    }
}

TEST_CASE("random and mutated bytes never crash the request decoder", "[protocol]") {
    std::mt19937 rng(20240611);  // fixed: a failure is reproducible
    std::vector<std::string> seeds;
    for (const Command c : kAllCommands) {
        Request r;
        r.kind = RequestKind::Command;
        r.command = c;
        r.services = {"web", "db"};
        seeds.push_back(encode_request(r));
    }
    Request w;
    w.kind = RequestKind::Wait;
    w.services = {"web"};
    w.timeout = std::chrono::milliseconds(100);
    seeds.push_back(encode_request(w));
    seeds.push_back(R"({"v":1,"cmd":"status"})");
    seeds.push_back(R"({"v":1,"cmd":"shutdown"})");
    const std::string alphabet = "{}[]\":,\\ 0123456789-+.eEtrufalsn\x00\xff\xc3\x80uv";
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };

    int decoded = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string s = seeds[pick(seeds.size())];
        const std::size_t edits = 1 + pick(6);
        for (std::size_t e = 0; e < edits; ++e) {
            switch (pick(6)) {
                case 0:  // flip a byte
                    if (!s.empty()) s[pick(s.size())] = static_cast<char>(pick(256));
                    break;
                case 1:  // insert a JSON-ish byte
                    s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)),
                             alphabet[pick(alphabet.size())]);
                    break;
                case 2:  // delete a byte
                    if (!s.empty()) s.erase(pick(s.size()), 1);
                    break;
                case 3:  // truncate
                    s.resize(pick(s.size() + 1));
                    break;
                case 4:  // splice in part of another seed
                {
                    const std::string& other = seeds[pick(seeds.size())];
                    const std::size_t from = pick(other.size());
                    s.insert(pick(s.size() + 1), other.substr(from, pick(other.size() - from + 1)));
                    break;
                }
                default:  // pure noise
                    if (pick(10) == 0) {
                        s.clear();
                        for (std::size_t k = pick(200); k > 0; --k)
                            s.push_back(static_cast<char>(pick(256)));
                    }
                    break;
            }
        }
        core::Result<Request> r = std::unexpected(core::Error{});
        REQUIRE_NOTHROW(r = decode_request(s));
        if (!r) continue;
        ++decoded;
        // Whatever decodes re-encodes to the same request.
        const auto again = decode_request(encode_request(*r));
        REQUIRE(again);
        CHECK(*again == *r);
    }
    CHECK(decoded > 0);  // the mutations do not only produce garbage

    Response resp;
    resp.results.push_back({"web", ErrorCode::None, {}, full_status()});
    const std::string good = encode_response(resp);
    for (int i = 0; i < 2000; ++i) {
        std::string s = good;
        for (std::size_t e = 1 + pick(4); e > 0; --e) {
            if (s.empty()) break;
            s[pick(s.size())] = alphabet[pick(alphabet.size())];
        }
        REQUIRE_NOTHROW((void)decode_response(s));
    }
}

TEST_CASE("supplementary groups are read from /proc/PID/status", "[control]") {
    const std::string status =
        "Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n"
        "FDSize:\t256\nGroups:\t4 24 27 100 65534 \nNStgid:\t1\n";
    CHECK(parse_status_groups(status) == std::vector<gid_t>{4, 24, 27, 100, 65534});
    CHECK(parse_status_groups("Name:\tx\nGroups:\t\n") == std::vector<gid_t>{});
    CHECK(parse_status_groups("Groups:\t7") == std::vector<gid_t>{7});
    CHECK_FALSE(parse_status_groups("Name:\tx\n"));
    CHECK_FALSE(parse_status_groups("Groups:\tabc\n"));
    CHECK_FALSE(parse_status_groups(""));
}

TEST_CASE("logs requests and the lines of their answers survive a round trip",
          "[protocol][log]") {
    Request r;
    r.kind = RequestKind::Logs;
    r.services = {"web"};
    r.lines = 25;
    r.follow = true;
    CHECK(round_trip(r) == r);
    const Json j = Json::parse(encode_request(r));
    CHECK(j["cmd"] == "logs");
    CHECK(j["lines"] == 25);
    CHECK(j["follow"] == true);
    CHECK_FALSE(j.contains("since_ms"));
    r.since = std::chrono::minutes(10);
    CHECK(round_trip(r) == r);
    CHECK(Json::parse(encode_request(r))["since_ms"] == 600'000);
    CHECK_FALSE(decode_request(R"({"v":1,"cmd":"logs","services":["a"],"since_ms":-5})"));
    CHECK(decode_request(R"({"v":1,"cmd":"logs","services":["web"]})")->lines == 10);
    CHECK_FALSE(decode_request(R"({"v":1,"cmd":"logs","services":["a","b"]})"));
    CHECK_FALSE(decode_request(R"({"v":1,"cmd":"logs","services":["a"],"lines":-1})"));

    Response response;
    services::LogLine line;
    line.time = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)) +
                std::chrono::microseconds(250);
    line.stream = services::LogStream::Stderr;
    line.text = "h\xC3\xA9llo \"x\"";
    line.cut = true;
    response.lines = {line, services::LogLine{line.time, services::LogStream::Stdout, "", false,
                                              true}};
    const Response back = response_round_trip(response);
    REQUIRE(back.lines.size() == 2);
    CHECK(back.lines[0].time == line.time);
    CHECK(back.lines[0].stream == services::LogStream::Stderr);
    CHECK(back.lines[0].text == line.text);
    CHECK(back.lines[0].cut);
    CHECK_FALSE(back.lines[0].continued);
    CHECK(back.lines[1].continued);
    // Bytes that are not UTF-8 arrive as U+FFFD.
    response.lines = {services::LogLine{line.time, services::LogStream::Stdout, "a\xFF", false,
                                        false}};
    CHECK(response_round_trip(response).lines[0].text == "a\xEF\xBF\xBD");
}
