// Objects removed while their timers, watches and children are live: PID 1 must go on as
// if nothing happened (the sanitizer build in CI sees any callback on freed memory).

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

TEST_CASE("a removed service whose logger exits first leaves no timer behind",
          "[supervision][watch][lifetime]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);

    // The logger ends at end-of-file, so it is gone before its drain timer (armed when
    // the service is removed, for --stop-timeout) would fire.
    const std::string fifo = sup.events().path();
    sup.add("web", ServiceFiles(sup.sleeper("web"))
                       .with_logger(shell_script("echo \"web-log $$\" > '" + fifo +
                                                 "'\nexec cat > /dev/null")));
    sup.start({"--stop-timeout", "1"});
    std::set<std::string> started;
    for (int i = 0; i < 2; ++i) {
        const std::string event = sup.next_event(10s);
        started.insert(event.substr(0, event.find(' ')));
    }
    REQUIRE(started == std::set<std::string>{"web", "web-log"});
    const std::optional<pid_t> logger = sup.host_pid_of(sup.log_pid("web"));
    REQUIRE(logger.has_value());

    std::filesystem::remove_all(sup.service_path("web"));
    REQUIRE(wait_gone(*logger, 10s));
    // A new service within the stop timeout takes the memory the old one freed; a second
    // one reports only after the old drain timer's deadline has passed.
    sup.add("next", ServiceFiles(sup.sleeper("next")));
    sup.add("later", ServiceFiles(shell_script("sleep 2\necho \"later $$\" > '" + fifo +
                                               "'\nexec sleep 1000")));
    REQUIRE(sup.next_start("next") > 0);
    REQUIRE(sup.next_start("later", 15s) > 0);

    INFO("svinit's log:\n" << sup.log());
    const CommandResult status = sup.svctl({"status"});
    CHECK(status.status == 0);
    CHECK(sup.stop() == 0);
}
