#include "launch/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace svinit::launch {
namespace {

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

}  // namespace

void setup_logging(spdlog::level::level_enum level, LogStyle style) {
    auto logger = spdlog::stderr_logger_st("svinit");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SeverityFlag>('*').set_pattern(style == LogStyle::MyInit ? "*** %v"
                                                                                 : "svinit: %*%v");
    logger->set_formatter(std::move(formatter));
    logger->set_level(level);
    // Every line goes out at once: PID 1's stderr is usually a pipe to a log collector.
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace svinit::launch
