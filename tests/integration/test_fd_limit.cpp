// Near the open file limit: svinit takes as many services as fit while keeping files back
// for restarts and svctl, refuses the rest with a message that says why, and every service
// it took runs (none left in backoff with EMFILE), restarts, and is answered for by svctl.
// A running service costs one fd, its pidfd.

#include <dirent.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

std::size_t open_fds_of(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/fd";
    DIR* dir = ::opendir(path.c_str());
    REQUIRE(dir != nullptr);
    std::size_t count = 0;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count;
}

// Reads start events until every name in `names` has started (once more).
void expect_starts(Supervision& supervision, const std::vector<std::string>& names) {
    std::set<std::string> waiting(names.begin(), names.end());
    while (!waiting.empty()) {
        const std::string event = supervision.next_event();
        INFO("event: " << event << "; still waiting for " << waiting.size());
        REQUIRE(waiting.erase(event.substr(0, event.find(' '))) == 1);
    }
}

}  // namespace

TEST_CASE("near the open file limit new services are refused and the rest keep running",
          "[supervision][limits]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    constexpr unsigned kLimit = 128;
    harness.limit_open_files(kLimit);
    Supervision supervision(harness);

    constexpr int kServices = 120;  // more than fit in 128 files
    const std::vector<std::string> names = numbered_names("s", kServices);
    for (const auto& name : names) supervision.add(name, ServiceFiles(supervision.sleeper(name)));
    supervision.start({"--no-supervise-dir"});

    // The first ones in name order were taken, the rest refused.
    const CommandResult listing = supervision.svctl_ok({"--json", "status"});
    REQUIRE(listing.lines.size() == 1);
    const auto doc = nlohmann::json::parse(listing.lines[0]);
    const std::size_t taken = doc["services"].size();
    INFO("svinit took " << taken << " services; its log:\n" << supervision.log());
    REQUIRE(taken > 0);
    REQUIRE(taken < names.size());
    const std::vector<std::string> running(names.begin(),
                                           names.begin() + static_cast<std::ptrdiff_t>(taken));
    for (std::size_t i = 0; i < taken; ++i) CHECK(doc["services"][i]["name"] == names[i]);
    CHECK(supervision.log().find(names[taken] +
                                 ": not started: too close to the open file limit (" +
                                 std::to_string(kLimit) + ")") != std::string::npos);

    // Each one taken runs: a start event from every one.
    expect_starts(supervision, running);
    // One fd each (its pidfd), where two each would not even fit.
    CHECK(open_fds_of(supervision.host_pid()) < 2 * running.size());

    // Restarts find the files they need, and svctl is still answered.
    std::vector<std::string> restart{"restart"};
    restart.insert(restart.end(), running.begin(), running.end());
    supervision.svctl_ok(restart);
    expect_starts(supervision, running);
    const CommandResult after = supervision.svctl_ok({"--json", "status"});
    REQUIRE(after.lines.size() == 1);
    // Kept whole: a range-for over parse(...)["services"] would outlive the parsed document.
    const auto statuses = nlohmann::json::parse(after.lines[0]);
    CHECK(statuses["services"].size() == running.size());
    for (const auto& status : statuses["services"]) CHECK(status["state"] == "run");
    CHECK(supervision.stop() == 0);
}
