// runit's supervise/ formats, byte by byte: what runit's sv reads must be exactly what
// runsv writes.

#include <catch2/catch.hpp>
#include <chrono>
#include <vector>

#include "control/runit_status.h"

using namespace std::chrono_literals;
using svinit::control::encode_status;
using svinit::control::pid_text;
using svinit::control::runit_record;
using svinit::control::RunitRecord;
using svinit::control::RunitState;
using svinit::control::stat_text;
using svinit::services::Command;
using svinit::services::ProcessStatus;
using svinit::services::State;
using svinit::services::Want;

namespace {

const std::chrono::system_clock::time_point kSince{1'700'000'000s + 123'456'789ns};

std::vector<unsigned char> bytes_of(const RunitRecord& record) {
    const auto bytes = encode_status(record);
    return {bytes.begin(), bytes.end()};
}

RunitRecord record(RunitState state, std::uint32_t pid, bool want_up) {
    RunitRecord r;
    r.since = kSince;
    r.state = state;
    r.pid = pid;
    r.want_up = want_up;
    return r;
}

}  // namespace

TEST_CASE("status is runsv's 20 bytes", "[runit]") {
    RunitRecord r = record(RunitState::Run, 0x12345, true);
    // TAI64: 2^62 + 10 + 1700000000 = 0x400000006553f10a, big-endian; then the nanoseconds
    // 123456789 = 0x075bcd15, big-endian; then the pid, little-endian.
    const std::vector<unsigned char> expected{
        0x40, 0x00, 0x00, 0x00, 0x65, 0x53, 0xf1, 0x0a,  // seconds
        0x07, 0x5b, 0xcd, 0x15,                          // nanoseconds
        0x45, 0x23, 0x01, 0x00,                          // pid 0x12345
        0,                                               // paused
        'u',                                             // want
        0,                                               // got TERM
        1,                                               // state: run
    };
    CHECK(bytes_of(r) == expected);

    SECTION("the flags and the states") {
        r.paused = true;
        r.got_term = true;
        r.want_up = false;
        r.state = RunitState::Finish;
        auto bytes = bytes_of(r);
        CHECK(bytes[16] == 1);
        CHECK(bytes[17] == 'd');
        CHECK(bytes[18] == 1);
        CHECK(bytes[19] == 2);
        r.state = RunitState::Down;
        CHECK(bytes_of(r)[19] == 0);
    }

    SECTION("a large pid uses all four bytes") {
        r.pid = 0xa1b2c3d4;
        auto bytes = bytes_of(r);
        CHECK(std::vector<unsigned char>(bytes.begin() + 12, bytes.begin() + 16) ==
              std::vector<unsigned char>{0xd4, 0xc3, 0xb2, 0xa1});
    }

    SECTION("the Unix epoch is TAI64's 2^62 + 10") {
        r.since = std::chrono::system_clock::time_point{};
        auto bytes = bytes_of(r);
        CHECK(std::vector<unsigned char>(bytes.begin(), bytes.begin() + 12) ==
              std::vector<unsigned char>{0x40, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0});
    }
}

TEST_CASE("stat and pid say what runsv's say", "[runit]") {
    CHECK(stat_text(record(RunitState::Run, 7, true)) == "run\n");
    CHECK(stat_text(record(RunitState::Down, 0, false)) == "down\n");
    CHECK(stat_text(record(RunitState::Finish, 9, true)) == "finish\n");
    // want down is said of a process that exists, never of down.
    CHECK(stat_text(record(RunitState::Down, 0, true)) == "down\n");
    RunitRecord stopping = record(RunitState::Run, 7, false);
    stopping.got_term = true;
    CHECK(stat_text(stopping) == "run, got TERM, want down\n");
    RunitRecord paused = record(RunitState::Run, 7, true);
    paused.paused = true;
    CHECK(stat_text(paused) == "run, paused\n");

    CHECK(pid_text(0).empty());
    CHECK(pid_text(4242) == "4242\n");
}

TEST_CASE("svinit's states in runit's three", "[runit]") {
    ProcessStatus s;
    s.since = kSince;
    s.pid = 42;
    s.want = Want::Up;

    struct Case {
        State state;
        RunitState runit;
    };
    for (const Case c :
         {Case{State::Down, RunitState::Down}, Case{State::Starting, RunitState::Run},
          Case{State::Run, RunitState::Run}, Case{State::Stopping, RunitState::Run},
          Case{State::Finish, RunitState::Finish}, Case{State::Backoff, RunitState::Down},
          Case{State::Failed, RunitState::Down}}) {
        s.state = c.state;
        CHECK(runit_record(s).state == c.runit);
    }

    s.state = State::Stopping;
    s.want = Want::Down;
    s.got_term = true;
    s.paused = true;
    const RunitRecord r = runit_record(s);
    CHECK(r.pid == 42);
    CHECK_FALSE(r.want_up);
    CHECK(r.got_term);
    CHECK(r.paused);
    CHECK(r.since == kSince);

    // runsv's once is want down: the one run is all there will be.
    s.want = Want::Once;
    CHECK_FALSE(runit_record(s).want_up);
    s.want = Want::Up;
    CHECK(runit_record(s).want_up);
}

TEST_CASE("control bytes are runsv's commands", "[runit]") {
    ProcessStatus up;
    up.state = State::Run;
    up.pid = 7;
    up.want = Want::Up;
    const auto runit_command = [&](char byte) { return svinit::control::runit_command(byte, up); };
    CHECK(runit_command('u') == Command::Up);
    CHECK(runit_command('d') == Command::Down);
    CHECK(runit_command('o') == Command::Once);
    CHECK(runit_command('x') == Command::Exit);     // down, with control/x
    CHECK(runit_command('t') == Command::Restart);  // TERM to a run wanted up: it comes back
    CHECK(runit_command('k') == Command::Kill);
    CHECK(runit_command('p') == Command::Pause);
    CHECK(runit_command('c') == Command::Cont);
    CHECK(runit_command('h') == Command::Hup);
    CHECK(runit_command('a') == Command::Alarm);
    CHECK(runit_command('i') == Command::Int);
    CHECK(runit_command('q') == Command::Quit);
    CHECK(runit_command('1') == Command::Usr1);
    CHECK(runit_command('2') == Command::Usr2);
    for (const char ignored : {'\0', '\n', 'U', 'r', 's', 'w', '3', '\xff'}) {
        CHECK_FALSE(runit_command(ignored).has_value());
    }
}

TEST_CASE("t is a restart only for a run that is wanted up", "[runit]") {
    using svinit::control::runit_command;
    ProcessStatus s;
    s.pid = 7;
    s.want = Want::Up;
    s.state = State::Starting;
    CHECK(runit_command('t', s) == Command::Restart);
    s.state = State::Stopping;  // already going: TERM again, as runsv would
    CHECK(runit_command('t', s) == Command::Term);
    s.state = State::Run;
    s.want = Want::Once;  // runsv: TERM, and no restart
    CHECK(runit_command('t', s) == Command::Term);
    s.want = Want::Down;
    CHECK(runit_command('t', s) == Command::Term);
    s.state = State::Down;
    s.pid = 0;
    s.want = Want::Up;
    CHECK(runit_command('t', s) == Command::Term);
}
