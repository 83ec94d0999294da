// svctl show: the definition built from a spec (every value with its origin), its trip
// over the wire, and the TOML and JSON svctl prints; the loader's origins it relies on.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/protocol.h"
#include "control/spec_view.h"
#include "svctl/show_format.h"
#include "toml_fixture.h"

using namespace std::chrono_literals;
using svinit::control::Definition;
using svinit::control::SpecEntry;
using svinit::test::TomlFixture;

namespace {

const SpecEntry* entry(const Definition& d, std::string_view key) {
    for (const auto& e : d.entries) {
        if (e.key == key) return &e;
    }
    return nullptr;
}

// "value  # origin" of one key, or "absent".
std::string shown(const Definition& d, std::string_view key) {
    const SpecEntry* e = entry(d, key);
    return e ? e->value + "  # " + e->origin : "absent";
}

}  // namespace

TEST_CASE("the loader records [defaults] and flags as the origin of the values they set",
          "[show][config][toml]") {
    TomlFixture f;
    f.write("svinit.toml", R"([defaults]
stop.timeout = "3s"
restart.backoff.max = "5s"

[services.web]
command = ["web"]
[services.web.restart]
backoff.max = "7s"
)");
    auto request = f.request();
    request.flags.healthy_run = 2s;
    const auto loaded = svinit::config::load_config(request);
    REQUIRE(loaded.ok());
    const auto& web = loaded.services.front();
    const std::string main = f.file("svinit.toml").string();

    CHECK(web.stop.timeout == 3s);
    CHECK(web.origins.of("stop.timeout").in_defaults);
    CHECK(web.origins.of("stop.timeout").describe() == main + ":2:16");
    CHECK_FALSE(web.origins.of("restart.backoff.max").in_defaults);  // the service's own wins
    CHECK(web.origins.of("restart.backoff.max").describe() == main + ":8:15");
    CHECK(web.origins.of("restart.healthy-after").describe() == "--healthy-run");
    CHECK_FALSE(web.origins.of("restart.healthy-after").in_defaults);
    CHECK(web.origins.of("restart.policy").is_default());
}

TEST_CASE("a TOML service is shown with every value and where it came from", "[show]") {
    TomlFixture f;
    f.write("svinit.toml", R"([defaults]
stop.timeout = "3s"

[services.web]
command = ["/usr/bin/web", "--port", "8080"]
requires = ["db"]
environment = { MODE = "prod" }
[services.web.restart]
policy = "on-failure"

[services.db]
command = ["db"]
type = "notify"
)");
    const auto loaded = svinit::config::load_config(f.request());
    CAPTURE(f.errors(loaded));
    REQUIRE(loaded.ok());
    const auto& web = loaded.services[1];
    REQUIRE(web.name == "web");
    const std::string main = f.file("svinit.toml").string();
    const Definition d = svinit::control::describe_spec(web);

    CHECK(d.source == "toml");
    CHECK(d.defined_at == main + ":4:11");
    CHECK(shown(d, "command") == R"(["/usr/bin/web","--port","8080"]  # )" + main + ":5:11");
    CHECK(shown(d, "type") == R"("simple"  # default)");
    CHECK(shown(d, "requires") == R"(["db"]  # )" + main + ":6:12");
    CHECK(shown(d, "wants") == "[]  # default");
    CHECK(shown(d, "environment.MODE") == R"("prod"  # )" + main + ":7:24");
    CHECK(shown(d, "restart.policy") == R"("on-failure"  # )" + main + ":9:10");
    CHECK(shown(d, "restart.backoff.initial") == R"("100ms"  # default)");
    CHECK(shown(d, "stop.timeout") == R"("3s"  # [defaults] )" + main + ":2:16");
    CHECK(shown(d, "stop.signal") == R"("TERM"  # default)");
    CHECK(shown(d, "stop.kill") == R"("group"  # default)");
    CHECK(shown(d, "readiness.type") == R"("none"  # default)");
    CHECK(shown(d, "user") == "absent");  // svinit's own: not listed

    const Definition db = svinit::control::describe_spec(loaded.services[0]);
    CHECK(shown(db, "type") == R"("notify"  # )" + main + ":13:8");
    CHECK(shown(db, "readiness.type") == R"("notify"  # )" + main + ":13:8");
    CHECK(shown(db, "readiness.timeout") == R"("1m"  # default)");

    SECTION("svctl prints it as TOML with the origins as aligned comments") {
        const std::string text = svinit::svctl::format_definition("web", d);
        CAPTURE(text);
        CHECK(text.starts_with("[services.web]  # toml, " + main + ":4:11\n"));
        CHECK(svinit::svctl::format_definition("web@2.1", d).starts_with("[services.\"web@2.1\"]"));
        std::size_t column = std::string::npos;
        std::size_t lines = 0;
        for (std::size_t at = text.find('\n'); at != std::string::npos;
             at = text.find('\n', at + 1)) {
            const std::size_t end = std::min(text.find('\n', at + 1), text.size());
            const std::string line = text.substr(at + 1, end - at - 1);
            const std::size_t hash = line.find("  # ");
            REQUIRE(hash != std::string::npos);
            if (line.size() > 60) continue;  // a wide line is not padded
            if (column == std::string::npos) column = hash;
            CHECK(hash == column);
            ++lines;
        }
        CHECK(lines > 10);
    }

    SECTION("the definition survives the wire, values as JSON values") {
        svinit::control::Response response;
        response.results.push_back({"web", svinit::control::ErrorCode::None, {}, std::nullopt, d});
        const std::string line = svinit::control::encode_response(response);
        const auto json = nlohmann::json::parse(line);
        CHECK(json["results"][0]["definition"]["entries"][0]["value"] ==
              nlohmann::json::array({"/usr/bin/web", "--port", "8080"}));
        const auto back = svinit::control::decode_response(line);
        REQUIRE(back);
        REQUIRE(back->results.size() == 1);
        CHECK(back->results[0].definition == d);
    }

    SECTION("--json lists the values with their origins") {
        std::vector<svinit::control::ServiceResult> results{
            {"web", svinit::control::ErrorCode::None, {}, std::nullopt, d},
            {"nope", svinit::control::ErrorCode::UnknownService, "nope: no such service",
             std::nullopt, std::nullopt}};
        const auto json = nlohmann::json::parse(svinit::svctl::definition_json(results, {}));
        const auto& services = json["services"];
        REQUIRE(services.size() == 2);
        CHECK(services[0]["source"] == "toml");
        bool found = false;
        for (const auto& v : services[0]["values"]) {
            if (v["key"] != "stop.timeout") continue;
            found = true;
            CHECK(v["value"] == "3s");
            CHECK(v["origin"] == "[defaults] " + main + ":2:16");
        }
        CHECK(found);
        CHECK(services[1]["error"] == "unknown_service");
    }
}

TEST_CASE("a runit service is shown with its files and the flags' settings", "[show]") {
    svinit::services::ServiceSpec spec;
    spec.name = "web";
    spec.main.dir = "/etc/service/web";
    spec.main.run = "/etc/service/web/run";
    spec.main.normally_down = true;
    spec.stop.timeout = 4s;
    spec.origins.defined_at = {"/etc/service/web", 0, 0};
    spec.origins.values["stop.timeout"] = {"--stop-timeout", 0, 0};
    const Definition d = svinit::control::describe_spec(spec);
    CHECK(d.source == "runit");
    CHECK(d.defined_at == "/etc/service/web");
    CHECK(shown(d, "run") == R"("/etc/service/web/run"  # /etc/service/web/run)");
    CHECK(shown(d, "down") == "true  # /etc/service/web/down");
    CHECK(shown(d, "stop.timeout") == R"("4s"  # --stop-timeout)");
    CHECK(shown(d, "restart.policy") == R"("always"  # default)");
    CHECK(shown(d, "command") == "absent");
}

TEST_CASE("show requests need a service and round trip", "[show][protocol]") {
    svinit::control::Request show;
    show.kind = svinit::control::RequestKind::Show;
    show.services = {"web", "db"};
    const auto back = svinit::control::decode_request(svinit::control::encode_request(show));
    REQUIRE(back);
    CHECK(*back == show);
    CHECK_FALSE(svinit::control::decode_request(R"({"v":1,"cmd":"show","services":[]})"));
}
