// sd_notify's message text.

#include <catch2/catch.hpp>

#include "services/notify_message.h"

using svinit::services::NotifyMessage;
using svinit::services::parse_notify;

TEST_CASE("notify messages: READY, STATUS, STOPPING, RELOADING; the rest ignored", "[notify]") {
    CHECK(parse_notify("READY=1") == NotifyMessage{true, false, false, std::nullopt});
    CHECK(parse_notify("STATUS=loading\nREADY=1\n").status == "loading");
    CHECK(parse_notify("STATUS=loading\nREADY=1\n").ready);
    CHECK_FALSE(parse_notify("READY=0").ready);
    CHECK(parse_notify("STOPPING=1").stopping);
    CHECK(parse_notify("RELOADING=1").reloading);
    CHECK(parse_notify("MAINPID=7\nWATCHDOG=1\ngarbage\n") == NotifyMessage{});
    CHECK(parse_notify("STATUS=" + std::string(1000, 'x')).status->size() == 256);
}
