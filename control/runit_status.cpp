#include "control/runit_status.h"

namespace svinit::control {
namespace {

// TAI64's label for Unix time 0: 2^62, plus the 10 s TAI was ahead of UTC in 1970 (runit's
// tai_unix()).
constexpr std::uint64_t kTai64Epoch = (std::uint64_t{1} << 62) + 10;

RunitState runit_state(services::State state) {
    switch (state) {
        case services::State::Starting:
        case services::State::Run:
        case services::State::Stopping:
            return RunitState::Run;
        case services::State::Finish:
            return RunitState::Finish;
        case services::State::Down:
        case services::State::Backoff:
        case services::State::Failed:
            return RunitState::Down;
    }
    return RunitState::Down;
}

void put_big_endian(unsigned char* out, std::uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out[i] = static_cast<unsigned char>(value & 0xff);
        value >>= 8;
    }
}

}  // namespace

RunitRecord runit_record(const services::ProcessStatus& status) {
    RunitRecord record;
    record.since = status.since;
    record.pid = status.pid > 0 ? static_cast<std::uint32_t>(status.pid) : 0;
    record.paused = status.paused;
    record.want_up = status.want == services::Want::Up;
    record.got_term = status.got_term;
    record.state = runit_state(status.state);
    return record;
}

RunitStatusBytes encode_status(const RunitRecord& record) {
    using namespace std::chrono;
    const auto since = record.since.time_since_epoch();
    auto seconds = floor<std::chrono::seconds>(since);
    auto nanos = duration_cast<nanoseconds>(since - seconds).count();
    // Before 1970 cannot be written as TAI64 label plus an unsigned offset; runsv never
    // sees such a clock either.
    std::uint64_t unix_seconds =
        seconds.count() > 0 ? static_cast<std::uint64_t>(seconds.count()) : 0;
    if (seconds.count() < 0) nanos = 0;

    RunitStatusBytes bytes{};
    put_big_endian(&bytes[0], kTai64Epoch + unix_seconds, 8);
    put_big_endian(&bytes[8], static_cast<std::uint64_t>(nanos), 4);
    std::uint32_t pid = record.pid;
    for (std::size_t i = 12; i < 16; ++i) {
        bytes[i] = static_cast<unsigned char>(pid & 0xff);
        pid >>= 8;
    }
    bytes[16] = record.paused ? 1 : 0;
    bytes[17] = record.want_up ? 'u' : 'd';
    bytes[18] = record.got_term ? 1 : 0;
    bytes[19] = static_cast<unsigned char>(record.state);
    return bytes;
}

std::string stat_text(const RunitRecord& record) {
    std::string text;
    switch (record.state) {
        case RunitState::Down:
            text = "down";
            break;
        case RunitState::Run:
            text = "run";
            break;
        case RunitState::Finish:
            text = "finish";
            break;
    }
    if (record.paused) text += ", paused";
    if (record.got_term) text += ", got TERM";
    if (record.state != RunitState::Down && !record.want_up) text += ", want down";
    text += '\n';
    return text;
}

std::string pid_text(std::uint32_t pid) {
    if (pid == 0) return {};
    return std::to_string(pid) + "\n";
}

std::optional<services::Command> runit_command(char byte, const services::ProcessStatus& run) {
    using services::Command;
    using services::State;
    switch (byte) {
        case 'u':
            return Command::Up;
        case 'd':
            return Command::Down;
        case 'o':
            return Command::Once;
        case 'x':
            return Command::Exit;
        case 't':
            if (run.want == services::Want::Up &&
                (run.state == State::Run || run.state == State::Starting)) {
                return Command::Restart;
            }
            return Command::Term;
        case 'k':
            return Command::Kill;
        case 'p':
            return Command::Pause;
        case 'c':
            return Command::Cont;
        case 'h':
            return Command::Hup;
        case 'a':
            return Command::Alarm;
        case 'i':
            return Command::Int;
        case 'q':
            return Command::Quit;
        case '1':
            return Command::Usr1;
        case '2':
            return Command::Usr2;
        default:
            return std::nullopt;
    }
}

}  // namespace svinit::control
