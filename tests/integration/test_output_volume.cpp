// svinit carrying a lot of output: a million lines from ten services at once arrive once
// each, whole and in each service's order, within svinit's memory bound; and a service that
// logs slowly is not held back behind one that floods.

#include <catch2/catch.hpp>
#include <charconv>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "support/services.h"

using namespace svinit::test;
using namespace std::chrono_literals;

namespace {

constexpr int kServices = 10;
constexpr long kLinesEach = 100'000;

// The service's name and text of one line of svinit's stdout, prefix or json mode; nullopt
// for a line of neither form (a torn or mixed line).
struct Parsed {
    std::string service;
    std::string msg;
};

std::optional<Parsed> parse_prefixed(std::string_view line) {
    const auto bar = line.find(" | ");
    if (bar == std::string_view::npos) return std::nullopt;
    return Parsed{std::string(line.substr(0, bar)), std::string(line.substr(bar + 3))};
}

std::optional<Parsed> parse_json(std::string_view line) {
    // Parsing every line would make the test slow; the fields are found as text, and every
    // 1000th line is parsed in full (in check_line) to keep the format honest.
    const auto field = [&](std::string_view key) -> std::optional<std::string> {
        const std::string open = "\"" + std::string(key) + "\":\"";
        const auto start = line.find(open);
        if (start == std::string_view::npos) return std::nullopt;
        const auto from = start + open.size();
        const auto end = line.find('"', from);
        if (end == std::string_view::npos) return std::nullopt;
        return std::string(line.substr(from, end - from));
    };
    auto service = field("service");
    auto msg = field("msg");
    if (!service || !msg || !line.starts_with('{') || !line.ends_with('}')) return std::nullopt;
    return Parsed{*service, *msg};
}

// Checks each line of svinit's stdout against what the counting services write: service sN
// writes "sN-1" to "sN-100000", so every service's numbers must come in order, once each.
class LineChecker {
public:
    explicit LineChecker(bool json) : json_(json) {}

    void feed(std::string_view chunk) {
        partial_.append(chunk);
        std::size_t start = 0;
        for (auto end = partial_.find('\n'); end != std::string::npos;
             end = partial_.find('\n', start)) {
            check_line(std::string_view(partial_).substr(start, end - start));
            start = end + 1;
        }
        partial_.erase(0, start);
    }

    long total() const { return total_; }
    long bad() const { return bad_; }
    const std::vector<std::string>& examples() const { return examples_; }
    bool complete() const {
        if (total_ != kServices * kLinesEach) return false;
        for (const auto& [service, last] : last_) {
            if (last != kLinesEach) return false;
        }
        return last_.size() == kServices;
    }

private:
    void check_line(std::string_view line) {
        ++total_;
        auto parsed = json_ ? parse_json(line) : parse_prefixed(line);
        if (parsed && json_ && total_ % 1000 == 0) {
            const auto full = nlohmann::json::parse(line, nullptr, false);
            if (full.is_discarded() || full["stream"] != "stdout") parsed.reset();
        }
        long n = 0;
        const std::string want_prefix = parsed ? parsed->service + "-" : std::string();
        bool ok = parsed && parsed->msg.starts_with(want_prefix);
        if (ok) {
            const char* first = parsed->msg.data() + want_prefix.size();
            const char* last = parsed->msg.data() + parsed->msg.size();
            auto [end, ec] = std::from_chars(first, last, n);
            ok = ec == std::errc() && end == last && n == last_[parsed->service] + 1;
        }
        if (ok) {
            last_[parsed->service] = n;
            return;
        }
        ++bad_;
        if (examples_.size() < 5) examples_.emplace_back(line);
    }

    bool json_;
    std::string partial_;
    std::map<std::string, long> last_;
    long total_ = 0;
    long bad_ = 0;
    std::vector<std::string> examples_;
};

#if !defined(__SANITIZE_ADDRESS__)
// kB of VmHWM (the most svinit's memory ever took) in /proc/PID/status.
long peak_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmHWM:")) return std::stol(line.substr(6));
    }
    return -1;
}
#endif

}  // namespace

TEST_CASE("a million lines from ten services at once arrive once each, whole, in order",
          "[output][volume]") {
    const std::string backend = GENERATE(from_range(kBackends));
    const std::string mode = GENERATE(as<std::string>{}, "prefix", "json");
    INFO("event loop backend: " << backend << ", --service-output=" << mode);
    Harness harness(backend);
    Supervision sup(harness);
    for (int i = 0; i < kServices; ++i) {
        const std::string name = "s" + std::to_string(i);
        sup.add(name, ServiceFiles(shell_script("seq -f '" + name + "-%.0f' 1 " +
                                                std::to_string(kLinesEach) +
                                                "\nexec sleep 1000\n")));
    }
    sup.start({"--service-output=" + mode});

    LineChecker checker(mode == "json");
    while (checker.total() < kServices * kLinesEach) {
        auto chunk = sup.svinit().read_some(30s);
        INFO("lines so far: " << checker.total() << "\nsvinit's log:\n" << sup.log());
        REQUIRE(chunk.has_value());
        checker.feed(*chunk);
    }
    INFO("wrong lines, the first: " << Catch::Detail::stringify(checker.examples()));
    CHECK(checker.bad() == 0);
    CHECK(checker.complete());
    // Nothing more than the million, and svinit still answers.
    sup.svctl_ok({"status"});
#if !defined(__SANITIZE_ADDRESS__)
    // svinit's bound: a 1 MiB stdout queue and a 64 KiB ring per service, whatever passed
    // through (16 MB here). The sanitizer's own memory would hide it, so unchecked there.
    const long peak = peak_kb(sup.host_pid());
    INFO("svinit's peak memory: " << peak << " kB");
    CHECK(peak > 0);
    CHECK(peak < 48 * 1024);
#endif
    CHECK(sup.stop() == 0);
}

TEST_CASE("a service that logs slowly is not held back behind a flood", "[output][volume]") {
    const std::string backend = GENERATE(from_range(kBackends));
    INFO("event loop backend: " << backend);
    Harness harness(backend);
    Supervision sup(harness);
    const std::string fifo = sup.events().path();
    sup.add("flood", ServiceFiles(shell_script("echo \"flood $$\" > '" + fifo +
                                               "'\nexec yes flooding\n")));
    // HUP makes it write one line; `sleep & wait` lets the trap run at once.
    sup.add("slow", ServiceFiles(shell_script("trap 'echo tick' HUP\necho \"slow $$\" > '" + fifo +
                                              "'\nwhile :; do sleep 1000 & wait $!; done\n")));
    sup.start({"--service-output=prefix"});
    std::set<std::string> started;
    for (int i = 0; i < 2; ++i) {
        const std::string event = sup.next_event();
        started.insert(event.substr(0, event.find(' ')));
    }
    REQUIRE(started == std::set<std::string>{"flood", "slow"});

    // The flood is flowing; from here svinit's queue fills while nobody reads its stdout.
    long flood_lines = 0;
    std::string partial;
    std::optional<std::string> tick;
    const auto read_until = [&](auto&& done, long most) {
        while (!done() && flood_lines < most) {
            auto chunk = sup.svinit().read_some(30s);
            REQUIRE(chunk.has_value());
            partial += *chunk;
            std::size_t start = 0;
            for (auto end = partial.find('\n'); end != std::string::npos;
                 end = partial.find('\n', start)) {
                const std::string_view line(partial.data() + start, end - start);
                if (line == "flood | flooding") {
                    ++flood_lines;
                } else if (line.starts_with("slow")) {
                    tick = std::string(line);
                }
                start = end + 1;
            }
            partial.erase(0, start);
        }
    };
    read_until([] { return false; }, 10'000);
    sup.svctl_ok({"hup", "slow"});
    // Fair reading lets the line through within about one queue's worth of the flood (1 MiB
    // of 17-byte lines, plus the pipes); one that served the flood first would hold it back
    // for as long as the flood lasts. Four queues' worth is the bound.
    const long before = flood_lines;
    const long bound = 4 * (1024 * 1024 / 17);
    read_until([&] { return tick.has_value(); }, before + bound);
    INFO("flood lines before the tick: " << flood_lines - before);
    CHECK(tick == "slow | tick");
    CHECK(sup.stop() == 0);
}
