// The pure parts of service output capture: lines with a length bound, JSON for any
// bytes, the per-service ring, and rotation's file names and sizes.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "services/log_file.h"
#include "services/log_format.h"
#include "services/log_line.h"
#include "services/log_ring.h"
#include "temp_tree.h"

using namespace svinit::services;

namespace {

struct Piece {
    std::string text;
    bool cut;
    bool continued;
    bool operator==(const Piece&) const = default;
};

std::vector<Piece> split(std::size_t max, std::vector<std::string> chunks, bool eof = true) {
    LineSplitter splitter(max);
    std::vector<Piece> out;
    auto emit = [&](std::string_view text, bool cut, bool continued) {
        out.push_back({std::string(text), cut, continued});
    };
    for (const auto& chunk : chunks) splitter.feed(chunk, emit);
    if (eof) splitter.finish(emit);
    return out;
}

}  // namespace

TEST_CASE("lines are split at newlines across reads", "[log][lines]") {
    CHECK(split(100, {"a\nbc", "d\n", "\n"}) ==
          std::vector<Piece>{{"a", false, false}, {"bcd", false, false}, {"", false, false}});
}

TEST_CASE("a partial last line is flushed at end of file, and only then", "[log][lines]") {
    CHECK(split(100, {"one\ntw", "o"}, false) == std::vector<Piece>{{"one", false, false}});
    CHECK(split(100, {"one\ntw", "o"}) ==
          std::vector<Piece>{{"one", false, false}, {"two", false, false}});
}

TEST_CASE("a line over the bound is cut, and its rest is marked as continued",
          "[log][lines]") {
    CHECK(split(4, {"abcdefghij\nxy\n"}) == std::vector<Piece>{{"abcd", true, false},
                                                                {"efgh", true, true},
                                                                {"ij", false, true},
                                                                {"xy", false, false}});
    // Fed a byte at a time, the splitter never holds more than the bound.
    LineSplitter splitter(4);
    std::size_t lines = 0;
    for (char c : std::string(1000, 'x')) {
        splitter.feed(std::string_view(&c, 1), [&](std::string_view, bool, bool) { ++lines; });
        CHECK(splitter.pending() < 4);
    }
    CHECK(lines == 250);
}

TEST_CASE("a line of exactly the bound ended by a newline is not cut", "[log][lines]") {
    CHECK(split(4, {"abcd\n"}) ==
          std::vector<Piece>{{"abcd", true, false}, {"", false, true}});
}

TEST_CASE("prefixed lines name the service and pass bytes through", "[log][format]") {
    LogLine line{{}, LogStream::Stderr, std::string("hi\x01\xff", 4), false, false};
    CHECK(format_prefixed("web", line) == std::string("web | hi\x01\xff\n", 11));
    line.continued = true;
    CHECK(format_prefixed("web", line).starts_with("web + "));
}

TEST_CASE("the prefix format puts its fields in order before the bar", "[log][format]") {
    using namespace std::chrono;
    const system_clock::time_point time{seconds(1'000'000'000) + microseconds(5)};
    LogLine line{time, LogStream::Stderr, "hi", false, false};
    auto format = parse_prefix_format("rfc3339,name,stream");
    REQUIRE(format);
    CHECK(format_prefixed("web", line, *format) ==
          "2001-09-09T01:46:40.000005Z web stderr | hi\n");
    format = parse_prefix_format("tai64n,stream");
    REQUIRE(format);
    CHECK(format_prefixed("web", line, *format) == "@400000003b9aca0a00001388 stderr | hi\n");
    CHECK(format_prefixed("web", line, default_prefix_format()) == "web | hi\n");
    CHECK(tai64n(system_clock::time_point{}) == "@400000000000000a00000000");

    CHECK_FALSE(parse_prefix_format(""));
    CHECK_FALSE(parse_prefix_format("name,"));
    CHECK_FALSE(parse_prefix_format("name,name"));
    CHECK(parse_prefix_format("host").error().message().find("name, stream, rfc3339, tai64n") !=
          std::string::npos);
}

TEST_CASE("JSON lines name service and stream and keep valid UTF-8", "[log][format]") {
    LogLine line{std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)) +
                     std::chrono::microseconds(5),
                 LogStream::Stderr, "h\xC3\xA9 \"q\" \\ \t", false, false};
    const std::string out = format_json("web", line);
    REQUIRE(out.ends_with("}\n"));
    const auto json = nlohmann::json::parse(out);
    CHECK(json["ts"] == "2023-11-14T22:13:20.000005Z");
    CHECK(json["service"] == "web");
    CHECK(json["stream"] == "stderr");
    CHECK(json["msg"] == line.text);
    CHECK_FALSE(json.contains("cut"));
}

TEST_CASE("JSON lines parse for random bytes; invalid UTF-8 becomes U+FFFD", "[log][format]") {
    CHECK(nlohmann::json::parse(format_json("s", {{}, LogStream::Stdout, "\xff\xC3", true, false}))
              ["msg"] == "\xEF\xBF\xBD\xEF\xBF\xBD");
    // An overlong '/' and a surrogate are not valid UTF-8 either.
    CHECK(nlohmann::json::parse(format_json("s", {{}, LogStream::Stdout, "\xC0\xAF", false, false}))
              ["msg"] == "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(nlohmann::json::parse(
              format_json("s", {{}, LogStream::Stdout, "\xED\xA0\x80", false, false}))["msg"] ==
          "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    std::mt19937 random(12);
    for (int round = 0; round < 2000; ++round) {
        std::string bytes(random() % 64, '\0');
        for (char& c : bytes) c = static_cast<char>(random() % 256);
        const std::string out = format_json("s", {{}, LogStream::Stdout, bytes, false, false});
        INFO("round " << round);
        REQUIRE(out.find('\n') == out.size() - 1);  // one line, whatever the bytes
        const auto json = nlohmann::json::parse(out);  // throws on invalid JSON or UTF-8
        CHECK(json["msg"].get<std::string>().size() >= bytes.size() / 3);
    }
}

TEST_CASE("the ring keeps the last lines within its byte bound", "[log][ring]") {
    LogRing ring(10 * (LogRing::kLineOverhead + 2));
    for (int i = 0; i < 25; ++i) {
        ring.push({{}, LogStream::Stdout, std::to_string(i + 10), false, false});
        CHECK(ring.bytes() <= ring.max_bytes());
    }
    CHECK(ring.size() == 10);
    const auto last = ring.last(3);
    REQUIRE(last.size() == 3);
    CHECK(last[0].text == "32");
    CHECK(last[2].text == "34");
    CHECK(ring.last(100).size() == 10);
    // A line bigger than the whole ring is not kept.
    ring.push({{}, LogStream::Stdout, std::string(10'000, 'x'), false, false});
    CHECK(ring.size() == 0);
}

TEST_CASE("svctl logs --since keeps the lines read at the cutoff or later, the last N of them",
          "[log][ring]") {
    using std::chrono::seconds;
    const std::chrono::system_clock::time_point t0(seconds(1'700'000'000));
    std::vector<LogLine> lines;
    for (int i = 0; i < 5; ++i) {
        lines.push_back({t0 + seconds(i), LogStream::Stdout, std::to_string(i), false, false});
    }
    const auto texts = [](const std::vector<LogLine>& kept) {
        std::vector<std::string> out;
        for (const auto& line : kept) out.push_back(line.text);
        return out;
    };
    using Texts = std::vector<std::string>;
    CHECK(texts(lines_since(lines, t0 + seconds(2), 100)) == Texts{"2", "3", "4"});
    CHECK(texts(lines_since(lines, t0 + seconds(2), 2)) == Texts{"3", "4"});
    CHECK(texts(lines_since(lines, t0, 100)) == Texts{"0", "1", "2", "3", "4"});
    CHECK(lines_since(lines, t0 + seconds(5), 100).empty());
    CHECK(lines_since(lines, t0, 0).empty());
    CHECK(lines_since({}, t0, 10).empty());
}

TEST_CASE("rotation names and keeps at most `keep` old files of at most max-size",
          "[log][rotate]") {
    CHECK(rotated_path("/d/web.log", 0) == "/d/web.log");
    CHECK(rotated_path("/d/web.log", 3) == "/d/web.log.3");
    svinit::test::TempDir dir("svinit-rotate");
    const auto current = dir.path / "web.log";
    RotatingFile file(current, 100, 3);
    const std::string line(39, 'x');
    for (int i = 0; i < 40; ++i) REQUIRE(file.write(line + "\n").has_value());
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
        ++files;
        CHECK(entry.file_size() <= 100);
        CHECK(entry.file_size() % 40 == 0);  // whole lines only
    }
    CHECK(files == 4);
    CHECK(std::filesystem::exists(rotated_path(current, 3)));
    CHECK_FALSE(std::filesystem::exists(rotated_path(current, 4)));
}

TEST_CASE("many lines in one write are split between files at line ends", "[log][rotate]") {
    svinit::test::TempDir dir("svinit-rotate");
    const auto current = dir.path / "web.log";
    RotatingFile file(current, 100, 1000);
    std::string batch;
    for (int i = 0; i < 25; ++i) batch += std::string(39, static_cast<char>('a' + i)) + "\n";
    REQUIRE(file.write(batch).has_value());
    // 25 lines of 40 bytes, two to a file of at most 100: 13 files, and every line whole.
    std::string all;
    for (unsigned i = 13; i-- > 0;) {
        const auto path = rotated_path(current, i);
        REQUIRE(std::filesystem::exists(path));
        CHECK(std::filesystem::file_size(path) <= 100);
        std::ifstream in(path);
        all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    CHECK_FALSE(std::filesystem::exists(rotated_path(current, 13)));
    CHECK(all == batch);
    // A line longer than max-size goes whole into a file of its own.
    const std::string long_line(150, 'z');
    REQUIRE(file.write("short\n" + long_line + "\nafter\n").has_value());
    std::ifstream last(rotated_path(current, 1));
    std::string text((std::istreambuf_iterator<char>(last)), std::istreambuf_iterator<char>());
    CHECK(text == long_line + "\n");
}

TEST_CASE("with keep 0 rotation truncates the one file", "[log][rotate]") {
    svinit::test::TempDir dir("svinit-rotate");
    RotatingFile file(dir.path / "a.log", 10, 0);
    for (int i = 0; i < 5; ++i) REQUIRE(file.write("123456\n").has_value());
    CHECK(std::filesystem::file_size(dir.path / "a.log") == 7);
    CHECK_FALSE(std::filesystem::exists(dir.path / "a.log.1"));
}

TEST_CASE("rfc3339: what rfc3339() writes reads back; anything else is refused", "[log]") {
    using namespace std::chrono;
    const system_clock::time_point t =
        system_clock::time_point(duration_cast<system_clock::duration>(
            seconds(1'795'000'000) + microseconds(123'456)));
    CHECK(parse_rfc3339(rfc3339(t)) == t);
    CHECK(parse_rfc3339("2026-11-28T09:15:00Z") ==
          system_clock::time_point(seconds(1'795'857'300)));
    CHECK(parse_rfc3339("2026-11-28T09:15:00.5Z") ==
          system_clock::time_point(seconds(1'795'857'300)) + milliseconds(500));
    CHECK_FALSE(parse_rfc3339("2026-11-28 09:15:00Z"));
    CHECK_FALSE(parse_rfc3339(" 026-11-28T09:15:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-11-28T09:15:0xZ"));
    CHECK_FALSE(parse_rfc3339("2026-11-28T09:15:00"));
    CHECK_FALSE(parse_rfc3339("2026-11-28T09:15:00.Zx"));
}
