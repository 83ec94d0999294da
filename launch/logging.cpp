#include "launch/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>

#include "core/log_sink.h"
#include "pid1/my_init_log.h"

namespace svinit::launch {
namespace {

// The one output every logger shares, for LogAttachment.
std::shared_ptr<core::LogSink>& shared_sink() {
    static std::shared_ptr<core::LogSink> sink;
    return sink;
}

// Prints "warning: " or "error: " before messages of those levels and nothing before
// the rest, so ordinary lines stay short.
class SeverityFlag : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        std::string_view text;
        switch (msg.level) {
            case spdlog::level::warn:
                text = "warning: ";
                break;
            case spdlog::level::err:
            case spdlog::level::critical:
                text = "error: ";
                break;
            case spdlog::level::trace:
            case spdlog::level::debug:
            case spdlog::level::info:
            case spdlog::level::off:
            case spdlog::level::n_levels:
                break;
        }
        dest.append(text.data(), text.data() + text.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<SeverityFlag>();
    }
};

// svinit's own lines in my_init mode: a level stricter than my_init's, but never hiding
// what a user asked to see with debug or trace.
spdlog::level::level_enum held_back(spdlog::level::level_enum level) {
    if (level <= spdlog::level::debug || level >= spdlog::level::critical) return level;
    return static_cast<spdlog::level::level_enum>(level + 1);
}

}  // namespace

void setup_logging(spdlog::level::level_enum level, LogStyle style) {
    auto sink = std::make_shared<core::LogSink>(STDERR_FILENO);
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SeverityFlag>('*').set_pattern(style == LogStyle::MyInit ? "*** %v"
                                                                                 : "svinit: %*%v");
    sink->set_formatter(std::move(formatter));
    shared_sink() = sink;

    spdlog::drop_all();
    auto logger = std::make_shared<spdlog::logger>("svinit", sink);
    logger->set_level(style == LogStyle::MyInit ? held_back(level) : level);
    spdlog::set_default_logger(logger);
    if (style == LogStyle::MyInit) {
        auto my_init = std::make_shared<spdlog::logger>(pid1::kMyInitLogger, sink);
        my_init->set_level(level);
        spdlog::register_logger(my_init);
    }
}

LogAttachment::LogAttachment(core::EventLoop& loop) {
    if (auto& sink = shared_sink()) sink->attach(loop);
}

LogAttachment::~LogAttachment() {
    if (auto& sink = shared_sink()) {
        sink->detach();
        sink->drain_for(kFinalDrain);
    }
}

}  // namespace svinit::launch
