#pragma once
// One stderr logger for svinit: "svinit: message", "svinit: warning: message"; in
// my_init mode my_init's own "*** message" for every level, as people grep for it.
//
// Every line goes through one core::LogSink, which never blocks: once the event loop
// runs, lines the consumer cannot take yet are written from the loop, and a stuck
// consumer costs dropped lines (counted, and said once it reads again), never PID 1.

#include <spdlog/common.h>

#include "core/event_loop.h"

namespace svinit::launch {

enum class LogStyle { Svinit, MyInit };

// In my_init mode my_init's own lines (pid1::my_init_log()) show at `level`, and svinit's
// other lines one level stricter: at the default level nothing but my_init's lines and
// svinit's warnings and errors, under --quiet nothing but errors of svinit's own.
void setup_logging(spdlog::level::level_enum level, LogStyle style = LogStyle::Svinit);

// While it lives, svinit's log output is written from `loop` when the consumer is slow.
// Its end, before the loop's, detaches the output from the loop and gives the consumer a
// last, bounded chance (kFinalDrain) to take what is still queued.
class [[nodiscard]] LogAttachment {
public:
    explicit LogAttachment(core::EventLoop& loop);
    LogAttachment(const LogAttachment&) = delete;
    LogAttachment& operator=(const LogAttachment&) = delete;
    ~LogAttachment();

    static constexpr core::Duration kFinalDrain = std::chrono::seconds(1);
};

}  // namespace svinit::launch
