// examples/toml as written: db says READY=1 through sd_notify, the oneshot migration runs
// only then, and web only once the migration is done. The services append what they do
// to $STATE_DIR/events.log before they say they are ready (migrate: before it exits), so
// once `svctl wait ready web` returns, the log holds the order they came up in.

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "support/services.h"

using namespace svinit::test;

namespace {

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// Where `line` is in `lines`; lines.size() when it is not there.
std::size_t index_of(const std::vector<std::string>& lines, const std::string& line) {
    return static_cast<std::size_t>(std::ranges::find(lines, line) - lines.begin());
}

}  // namespace

TEST_CASE("the TOML example stack starts in dependency order", "[toml][example]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    const std::string state = s.dir() + "/state";
    ::setenv("STATE_DIR", state.c_str(), 1);  // the services inherit it
    s.start({"--config", SVINIT_SOURCE_DIR "/examples/toml/svinit.toml"});
    ::unsetenv("STATE_DIR");
    INFO("svinit's log:\n" << s.log());

    s.svctl_ok({"wait", "ready", "web", "worker", "--timeout", "30"});
    // worker is a simple service, up once spawned: its line may come later, so it is not
    // checked here (its requires is tested in test_toml_services).
    const auto events = read_lines(state + "/events.log");
    INFO("events.log:\n" << Catch::Detail::stringify(events));
    const std::size_t db_ready = index_of(events, "db ready");
    const std::size_t migrate_start = index_of(events, "migrate start");
    const std::size_t migrate_done = index_of(events, "migrate done");
    const std::size_t web_start = index_of(events, "web start");
    REQUIRE(web_start < events.size());
    CHECK(db_ready < migrate_start);
    CHECK(migrate_start < migrate_done);
    CHECK(migrate_done < web_start);

    for (const char* name : {"db", "migrate", "web", "worker"}) {
        INFO(name);
        CHECK(s.status(name)["state"] == "run");  // a oneshot that exited 0 is up
    }
    CHECK(s.status("migrate")["pid"] == 0);  // done: nothing runs
    CHECK(s.status("migrate")["last_exit"]["code"] == 0);
    CHECK(s.stop() == 0);
}
