#pragma once
// Wiring of the layers shared by svinit's two command lines (its own and my_init's):
// signals, the event loop, Init, the service directory watcher and the control socket.

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "core/event_loop.h"
#include "core/notify_sender.h"
#include "pid1/init.h"
#include "services/log_settings.h"

namespace svinit::launch {

struct RunPlan {
    core::LoopKind event_loop = core::LoopKind::Auto;
    std::vector<std::filesystem::path> service_dirs;  // empty: supervise nothing
    std::string control_socket;
    std::optional<gid_t> control_group;
    bool supervise_dir = true;  // keep runit's NAME/supervise/ directories
    services::LogSettings output;  // where services' output goes
    // With configuration files: what the supervisor reads (TOML and runit services) at
    // start and at every reload, instead of scanning service_dirs alone.
    std::optional<config::LoadRequest> config;
    pid1::InitConfig init;
    // What systemd gave svinit alone (NOTIFY_SOCKET, WATCHDOG_*), taken out of the
    // environment before anything could pass it on; nullopt: run_init takes it.
    std::optional<core::NotifyEnv> notify;
};

// Runs until the end and returns the exit code.
int run_init(RunPlan plan);

// A group by name or number.
std::optional<gid_t> group_id(const std::string& group);

}  // namespace svinit::launch
