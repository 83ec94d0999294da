// Durations as TOML files write them, and the did-you-mean behind unknown keys.

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/duration.h"
#include "config/suggest.h"

using namespace std::chrono_literals;
using svinit::config::closest;
using svinit::config::edit_distance;
using svinit::config::format_duration;
using svinit::config::parse_duration;

TEST_CASE("durations in ms, s, m and h, alone or combined", "[config][duration]") {
    CHECK(parse_duration("250ms").value() == 250ms);
    CHECK(parse_duration("10s").value() == 10s);
    CHECK(parse_duration("2m").value() == 2min);
    CHECK(parse_duration("1h").value() == 1h);
    CHECK(parse_duration("1m30s").value() == 90s);
    CHECK(parse_duration("1h2m3s4ms").value() == 1h + 2min + 3s + 4ms);
    CHECK(parse_duration("0s").value() == 0s);
    CHECK(parse_duration("1500ms").value() == 1500ms);
}

TEST_CASE("a bad duration is an error that names the text", "[config][duration]") {
    auto error = [](std::string_view text) { return parse_duration(text).error().message(); };
    CHECK(error("10x") == "\"10x\": unknown unit \"x\" (use ms, s, m or h)");
    CHECK(error("10") == "\"10\": 10 needs a unit (ms, s, m or h), e.g. \"10s\"");
    CHECK(error("") == "\"\": empty duration (write e.g. \"10s\", \"250ms\", \"1m30s\")");
    CHECK(error("s") ==
          "\"s\": expected a number at \"s\" (write e.g. \"10s\", \"250ms\", \"1m30s\")");
    CHECK(error("1.5s") == "\"1.5s\": unknown unit \".\" (use ms, s, m or h)");
    CHECK(error("-1s").starts_with("\"-1s\": expected a number"));
    CHECK(error("10 s") == "\"10 s\": unknown unit \" s\" (use ms, s, m or h)");
    CHECK(error("99999999999999999999h") ==
          "\"99999999999999999999h\": too long (at most 366 days)");
    CHECK(error("8785h") == "\"8785h\": too long (at most 366 days)");
    CHECK(parse_duration("8784h").has_value());
}

TEST_CASE("durations print as they are written", "[config][duration]") {
    CHECK(format_duration(90s) == "1m30s");
    CHECK(format_duration(250ms) == "250ms");
    CHECK(format_duration(0s) == "0s");
    CHECK(format_duration(1h + 1ms) == "1h1ms");
    for (std::string text : {"1h2m3s4ms", "10s", "5m"}) {
        CHECK(format_duration(parse_duration(text).value()) == text);
    }
}

TEST_CASE("edit distance counts insertions, deletions, changes and swaps", "[config][suggest]") {
    CHECK(edit_distance("restart", "restart", 2) == 0);
    CHECK(edit_distance("restat", "restart", 2) == 1);
    CHECK(edit_distance("rsetart", "restart", 2) == 1);  // a swap
    CHECK(edit_distance("policyy", "policy", 2) == 1);
    CHECK(edit_distance("abc", "xyz", 2) == 3);  // over the limit: limit + 1
    CHECK(edit_distance("a", "abcdefgh", 2) == 3);
    const std::string long_a(100'000, 'a'), long_b(100'000, 'b');
    CHECK(edit_distance(long_a, long_b, 2) == 3);  // cheap however long
}

TEST_CASE("the closest known word, when it is a likely typo", "[config][suggest]") {
    const std::vector<std::string_view> keys{"command",   "restart",     "requires",
                                             "readiness", "environment", "env-file"};
    CHECK(closest("comand", keys) == "command");
    CHECK(closest("requries", keys) == "requires");
    CHECK(closest("enviroment", keys) == "environment");
    CHECK(closest("zzz", keys).empty());
    CHECK(closest("ab", std::vector<std::string_view>{"ac"}).empty());  // too short to guess
}
