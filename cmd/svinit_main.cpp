// svinit: argv, logging, wiring of the layers, exit codes. The work is done in
// core/, services/, config/ and control/.

#include <grp.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "cmd/logging.h"
#include "cmd/svinit_options.h"
#include "config/dir_watcher.h"
#include "config/runit_dir.h"
#include "control/server.h"
#include "core/event_loop.h"
#include "core/signal_fd.h"
#include "services/init.h"

namespace {

using namespace svinit;

constexpr int kExitUsage = 2;
constexpr int kExitInternal = 1;

void usage_error(const std::string& message) {
    std::fprintf(stderr, "svinit: %s\n\n%.*s", message.c_str(),
                 static_cast<int>(cmd::svinit_usage().size()), cmd::svinit_usage().data());
}

// The directories to supervise: those given; without any, and without a main command,
// the default one when it exists (svinit alone replaces runsvdir). A main command alone
// supervises nothing unless asked: `svinit -- app` stays a plain init, like tini.
std::vector<std::filesystem::path> service_dirs(const cmd::SvinitOptions& options) {
    std::vector<std::filesystem::path> dirs(options.service_dirs.begin(),
                                            options.service_dirs.end());
    std::error_code ec;
    if (dirs.empty() && options.command.empty() &&
        std::filesystem::is_directory(cmd::kDefaultServiceDir, ec)) {
        dirs.emplace_back(cmd::kDefaultServiceDir);
    }
    return dirs;
}

std::optional<gid_t> group_id(const std::string& group) {
    gid_t gid = 0;
    auto [end, ec] = std::from_chars(group.data(), group.data() + group.size(), gid);
    if (ec == std::errc() && end == group.data() + group.size()) return gid;
    if (const struct group* entry = ::getgrnam(group.c_str())) return entry->gr_gid;
    return std::nullopt;
}

// Reads the service directories, reporting each problem once rather than at every scan.
services::ServiceLoader make_loader(std::vector<std::filesystem::path> dirs) {
    auto reported = std::make_shared<std::set<std::string>>();
    return [dirs = std::move(dirs), reported] {
        auto result = config::scan_service_dirs(dirs);
        std::set<std::string> now;
        for (const auto& diagnostic : result.diagnostics) {
            auto text = diagnostic.describe();
            if (!reported->contains(text)) spdlog::warn("{}", text);
            now.insert(std::move(text));
        }
        *reported = std::move(now);
        return std::move(result.services);
    };
}

services::Policy service_policy(const cmd::SvinitOptions& options) {
    services::Policy policy;
    policy.stop_timeout = options.stop_timeout;
    policy.finish_timeout = options.finish_timeout;
    policy.min_healthy_run = options.healthy_run;
    policy.backoff = {options.backoff_min, options.backoff_max};
    return policy;
}

int run(const cmd::SvinitOptions& options, std::vector<std::filesystem::path> dirs,
        std::optional<gid_t> control_group) {
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
    core::EventLoop& loop = *choice->loop;

    bool supervise = !dirs.empty();
    services::Init init(loop, *signals,
                        {options.command, options.signal_group, options.kill_all_on_exit,
                         options.kill_grace, supervise, service_policy(options)},
                        make_loader(dirs));

    std::unique_ptr<config::ServiceDirWatcher> watcher;
    std::unique_ptr<control::ControlServer> server;
    if (supervise) {
        // Watch before the first scan, so no change falls between the two.
        auto watching = config::ServiceDirWatcher::create(loop, dirs, [&init] { init.reload(); });
        if (watching) {
            watcher = std::move(*watching);
        } else {
            spdlog::warn("service directories will not be watched: {}",
                         watching.error().message());
        }
        server = std::make_unique<control::ControlServer>(
            loop, *init.supervisor(), control::ServerOptions{options.control_socket, control_group});
        if (auto started = server->start(); !started) {
            // PID 1 goes on without its control socket rather than take the services down.
            spdlog::error("control socket {}: {}", options.control_socket,
                          started.error().message());
            server.reset();
        }
    }

    if (auto started = init.start(); !started) {
        spdlog::error("{}", started.error().message);
        return started.error().exit_code;
    }
    if (auto ran = loop.run(); !ran) {
        spdlog::critical("event loop failed: {}", ran.error().message());
        return kExitInternal;
    }
    return init.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    auto options = cmd::parse_svinit_options(args);
    if (!options) {
        usage_error(options.error().message());
        return kExitUsage;
    }
    if (options->help) {
        std::fwrite(cmd::svinit_usage().data(), 1, cmd::svinit_usage().size(), stdout);
        return 0;
    }
    if (options->version) {
        std::printf("svinit %s\n", SVINIT_VERSION);
        return 0;
    }
    auto dirs = service_dirs(*options);
    if (options->command.empty() && dirs.empty()) {
        usage_error(std::string("no command given, and no service directory (") +
                    std::string(cmd::kDefaultServiceDir) + " does not exist)");
        return kExitUsage;
    }
    std::optional<gid_t> control_group;
    if (!options->control_group.empty()) {
        control_group = group_id(options->control_group);
        if (!control_group) {
            usage_error("--control-group: no group named '" + options->control_group + "'");
            return kExitUsage;
        }
    }
    cmd::setup_logging(options->log_level);
    return run(*options, std::move(dirs), control_group);
}
