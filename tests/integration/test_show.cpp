// svctl show against a running svinit: a TOML service's effective definition with the
// origin of each value (its own key, [defaults], a flag, default), a runit service's, the
// same as JSON, and an unknown name as status reports one.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

// The line of `result` that starts with `prefix`, or "" when none does.
std::string line_of(const CommandResult& result, const std::string& prefix) {
    for (const auto& line : result.lines) {
        if (line.starts_with(prefix)) return line;
    }
    return {};
}

// "VALUE  # ORIGIN" of a line "KEY = VALUE   # ORIGIN", with the padding squeezed.
std::string value_and_origin(const std::string& line) {
    const auto eq = line.find(" = ");
    const auto hash = line.find("  # ");
    if (eq == std::string::npos || hash == std::string::npos) return line;
    std::string value = line.substr(eq + 3, hash - eq - 3);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    return value + "  # " + line.substr(hash + 4);
}

}  // namespace

TEST_CASE("svctl show prints a service's effective definition and each value's origin",
          "[toml][show]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string config = s.dir() + "/svinit.toml";
    write_file(config,
               "[defaults]\n"
               "stop.timeout = \"3s\"\n"
               "\n"
               "[services.web]\n"
               "command = [\"/bin/sh\", \"-c\", \"echo web > " +
                   s.events().path() +
                   "; exec sleep 100000\"]\n"
                   "environment = { MODE = \"prod\" }\n"
                   "[services.web.restart]\n"
                   "policy = \"on-failure\"\n");
    s.add("clock", ServiceFiles(s.sleeper("clock")));
    s.start({"--config", config, "--backoff-max", "20"});
    INFO("svinit's log:\n" << s.log());
    s.svctl_ok({"wait", "up", "web", "clock", "--timeout", "10"});

    const CommandResult web = s.svctl_ok({"show", "web"});
    INFO(web);
    REQUIRE_FALSE(web.lines.empty());
    CHECK(web.lines.front() == "[services.web]  # toml, " + config + ":4:11");
    CHECK(value_and_origin(line_of(web, "command = ")) ==
          "[\"/bin/sh\",\"-c\",\"echo web > " + s.events().path() + "; exec sleep 100000\"]  # " +
              config + ":5:11");
    CHECK(value_and_origin(line_of(web, "environment.MODE = ")) ==
          "\"prod\"  # " + config + ":6:24");
    CHECK(value_and_origin(line_of(web, "restart.policy = ")) ==
          "\"on-failure\"  # " + config + ":8:10");
    CHECK(value_and_origin(line_of(web, "stop.timeout = ")) ==
          "\"3s\"  # [defaults] " + config + ":2:16");
    CHECK(value_and_origin(line_of(web, "restart.backoff.max = ")) == "\"20s\"  # --backoff-max");
    CHECK(value_and_origin(line_of(web, "type = ")) == "\"simple\"  # default");

    const CommandResult json = s.svctl_ok({"--json", "show", "clock", "web"});
    INFO(json);
    REQUIRE(json.lines.size() == 1);
    const auto doc = nlohmann::json::parse(json.lines.front());
    REQUIRE(doc["services"].size() == 2);
    const auto& clock = doc["services"][0];
    CHECK(clock["service"] == "clock");
    CHECK(clock["source"] == "runit");
    CHECK(clock["defined_at"] == s.service_path("clock"));
    bool saw_run = false;
    for (const auto& v : clock["values"]) {
        if (v["key"] != "run") continue;
        saw_run = true;
        CHECK(v["value"] == s.service_path("clock") + "/run");
    }
    CHECK(saw_run);
    CHECK(doc["services"][1]["values"][0]["value"][0] == "/bin/sh");

    const CommandResult unknown = s.svctl({"show", "web", "nosuch"});
    INFO(unknown);
    CHECK(unknown.status == s.svctl({"status", "nosuch"}).status);
    CHECK(unknown.status == 5);
    CHECK(unknown.err == "svctl: nosuch: no such service\n");
    CHECK(s.stop() == 0);
}
