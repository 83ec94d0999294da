// A thousand TOML service files: they load, start and are shown, and svinit stops them all.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

TEST_CASE("a thousand TOML service files load and start", "[toml][scale]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision s(harness);
    constexpr std::size_t kServices = 1000;
    const std::string dir = s.dir() + "/services.d";
    std::filesystem::create_directories(dir);
    std::vector<std::string> wait{"wait", "up", "--timeout", "120"};
    for (std::size_t i = 0; i < kServices; ++i) {
        const std::string name = "w" + std::to_string(i);
        // Every tenth requires the one before it, so ordering is exercised at this size too.
        const std::string requires_ =
            i % 10 == 9 ? "requires = [\"w" + std::to_string(i - 1) + "\"]\n" : "";
        write_file(dir + "/" + name + ".toml",
                   "command = [\"sleep\", \"100000\"]\n" + requires_);
        wait.push_back(name);
    }
    const std::string config = s.dir() + "/svinit.toml";
    write_file(config, "toml-service-dirs = [\"services.d\"]\n");
    s.start({"--config", config});
    INFO("svinit's log:\n" << s.log());
    s.svctl_ok(wait, 180s);
    const CommandResult status = s.svctl_ok({"status"});
    CHECK(status.lines.size() == kServices);
    std::size_t running = 0;
    for (const std::string& line : status.lines) if (line.starts_with("run: w")) ++running;
    CHECK(running == kServices);
    s.svctl_ok({"check"});
    CHECK(s.stop(60s) == 0);
}
