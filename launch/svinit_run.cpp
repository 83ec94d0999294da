#include "launch/svinit_run.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <memory>
#include <set>

#include "config/dir_watcher.h"
#include "config/runit_dir.h"
#include "control/runit_supervise.h"
#include "control/server.h"
#include "core/exit_codes.h"
#include "core/signal_fd.h"
#include "core/spawn.h"
#include "core/user_db.h"
#include "launch/logging.h"
#include "pid1/manager_notifier.h"

namespace svinit::launch {
namespace {

// Reads the service directories, reporting each problem once rather than at every scan.
pid1::ServiceLoader make_loader(std::vector<std::filesystem::path> dirs) {
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
        return pid1::LoadedServices{std::move(result.services), {}};
    };
}

// Reads the configuration files and the service directories. A configuration with errors
// changes nothing: the errors are logged and returned, and the services stay as they are.
pid1::ServiceLoader make_config_loader(config::LoadRequest request) {
    auto reported = std::make_shared<std::set<std::string>>();
    return [request = std::move(request), reported] {
        auto loaded = config::load_config(request);
        std::set<std::string> now;
        for (const auto& diagnostic : loaded.service_dir_problems) {
            auto text = diagnostic.describe();
            if (!reported->contains(text)) spdlog::warn("{}", text);
            now.insert(std::move(text));
        }
        *reported = std::move(now);
        if (!loaded.ok()) {
            pid1::LoadedServices refused;
            for (const auto& error : loaded.errors) {
                refused.errors.push_back(error.describe());
                spdlog::error("{}", refused.errors.back());
            }
            spdlog::error("the configuration has {} error(s); reload rejected, services unchanged",
                          loaded.errors.size());
            return refused;
        }
        return pid1::LoadedServices{std::move(loaded.services), {}};
    };
}

// svinit under systemd (Type=notify): nullptr without NOTIFY_SOCKET, or when it cannot be
// used (then svinit runs on and says why; systemd will report the missing READY=1).
std::unique_ptr<pid1::ManagerNotifier> make_notifier(core::EventLoop& loop, pid1::Init& init,
                                                     const core::NotifyEnv& env) {
    if (env.socket.empty()) return nullptr;
    auto sender = core::NotifySender::open(env.socket);
    if (!sender) {
        spdlog::error("NOTIFY_SOCKET: {}", sender.error().message());
        return nullptr;
    }
    auto notifier = std::make_unique<pid1::ManagerNotifier>(
        loop, init,
        pid1::ManagerNotifier::Options{std::move(*sender), env.watchdog});
    if (auto started = notifier->start(); !started) {
        spdlog::error("sd_notify: {}", started.error().message());
        return nullptr;
    }
    return notifier;
}

}  // namespace

std::optional<gid_t> group_id(const std::string& group) {
    auto gid = core::lookup_group(group);
    if (!gid) return std::nullopt;
    return *gid;
}

int run_init(RunPlan plan) {
    // Before any child is spawned: they must not talk to svinit's service manager.
    const core::NotifyEnv notify_env = plan.notify ? *plan.notify : core::take_notify_env();
    // Block signals first: from here on they wait in the signalfd, none is lost.
    auto signals = core::SignalFd::open(core::catchable_signals());
    if (!signals) {
        spdlog::error("{}", signals.error().message());
        return exit_code::kInternal;
    }
    if (auto limit = core::raise_fd_limit(); limit) {
        spdlog::debug("open file limit: {}", *limit);
    } else {
        spdlog::warn("{}; staying within the open file limit given", limit.error().message());
    }
    auto choice = core::make_event_loop(plan.event_loop);
    if (!choice) {
        spdlog::error("event loop: {}", choice.error().message());
        return exit_code::kInternal;
    }
    spdlog::info("event loop: {}", choice->reason);
    core::EventLoop& loop = *choice->loop;
    // From here on a stuck log reader costs log lines, never PID 1 (declared after the
    // loop, so it is gone first; before everything else, so it is gone last).
    LogAttachment log_attachment(loop);

    const auto& dirs = plan.service_dirs;
    plan.init.supervise = plan.init.supervise || !dirs.empty();
    const bool supervise = plan.init.supervise;
    pid1::Init init(loop, *signals, std::move(plan.init),
                    plan.config ? make_config_loader(std::move(*plan.config)) : make_loader(dirs));
    if (init.supervisor() != nullptr) init.supervisor()->set_output(plan.output, STDOUT_FILENO);

    std::unique_ptr<config::ServiceDirWatcher> watcher;
    std::unique_ptr<control::ControlServer> server;
    if (supervise) {
        // Watch before the first scan, so no change falls between the two.
        auto watching = dirs.empty()
                            ? core::Result<std::unique_ptr<config::ServiceDirWatcher>>(nullptr)
                            : config::ServiceDirWatcher::create(loop, dirs, [&init] { init.reload(); });
        if (watching) {
            watcher = std::move(*watching);
        } else {
            spdlog::warn("service directories will not be watched: {}", watching.error().message());
        }
        server = std::make_unique<control::ControlServer>(
            loop, *init.supervisor(),
            control::ServerOptions{plan.control_socket, plan.control_group});
        if (auto started = server->start(); !started) {
            // PID 1 goes on without its control socket rather than take the services down.
            spdlog::error("control socket {}: {}", plan.control_socket, started.error().message());
            server.reset();
        }
    }

    // runit's own sv reads and commands NAME/supervise/; declared after the server, so
    // it is gone before the supervisor it observes.
    std::unique_ptr<control::RunitSupervise> runit_supervise;
    if (supervise && plan.supervise_dir) {
        runit_supervise = std::make_unique<control::RunitSupervise>(loop, *init.supervisor());
        runit_supervise->start();
    }

    // Declared after init and the server, so it is gone before what it observes.
    std::unique_ptr<pid1::ManagerNotifier> notifier = make_notifier(loop, init, notify_env);

    if (auto started = init.start(); !started) {
        spdlog::error("{}", started.error().message);
        return started.error().exit_code;
    }
    if (auto ran = loop.run(); !ran) {
        spdlog::critical("event loop failed: {}", ran.error().message());
        return exit_code::kInternal;
    }
    return init.exit_code();
}

}  // namespace svinit::launch
