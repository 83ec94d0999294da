// svinit: argv, logging, exit codes. The work is done in services/ and core/.

#include <cstdio>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "cmd/logging.h"
#include "cmd/svinit_options.h"
#include "core/event_loop.h"
#include "core/signal_fd.h"
#include "services/init.h"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitInternal = 1;

int run(const svinit::cmd::SvinitOptions& options) {
    using namespace svinit;
    // Block signals first: from here on they wait in the signalfd, none is lost.
    auto signals = core::SignalFd::open(core::catchable_signals());
    if (!signals) {
        spdlog::error("{}", signals.error().message());
        return kExitInternal;
    }
    auto choice = core::make_event_loop(options.event_loop);
    if (!choice) {
        spdlog::error("event loop: {}", choice.error().message());
        return kExitInternal;
    }
    spdlog::info("event loop: {}", choice->reason);

    services::Init init(*choice->loop,
                        *signals,
                        {options.command, options.signal_group, options.kill_all_on_exit,
                         options.kill_grace});
    if (auto started = init.start(); !started) {
        spdlog::error("{}", started.error().message);
        return started.error().exit_code;
    }
    if (auto ran = choice->loop->run(); !ran) {
        spdlog::critical("event loop failed: {}", ran.error().message());
        return kExitInternal;
    }
    return init.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    auto options = svinit::cmd::parse_svinit_options(args);
    if (!options) {
        std::fprintf(stderr, "svinit: %s\n\n%.*s", options.error().message().c_str(),
                     static_cast<int>(svinit::cmd::svinit_usage().size()),
                     svinit::cmd::svinit_usage().data());
        return kExitUsage;
    }
    if (options->help) {
        std::fwrite(svinit::cmd::svinit_usage().data(), 1, svinit::cmd::svinit_usage().size(), stdout);
        return 0;
    }
    if (options->version) {
        std::printf("svinit %s\n", SVINIT_VERSION);
        return 0;
    }
    svinit::cmd::setup_logging(options->log_level);
    return run(*options);
}
