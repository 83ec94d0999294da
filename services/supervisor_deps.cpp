// The Supervisor's dependency handling: services/dep_graph.h decides, this carries it out.
// Each service is told its start gate as a DepsChanged event whenever it changes; at
// shutdown a service is stopped only once every service that waits for it has stopped.

#include <spdlog/spdlog.h>

#include "services/supervisor.h"

namespace svinit::services {

void Supervisor::rebuild_graph() {
    std::vector<ServiceSpec> specs;
    specs.reserve(services_.size());
    for (const auto& [name, service] : services_) specs.push_back(service->spec());
    graph_ = DepGraph::build(specs);
    gated_.clear();
    for (const auto& [name, service] : services_) {
        if (service->gate() || !graph_.waits_for(name).empty()) gated_.push_back(name);
    }
}

DepStatus Supervisor::dep_status(std::string_view name) const {
    auto it = services_.find(name);
    if (it == services_.end()) return DepStatus::Absent;
    const ServiceState& s = it->second->main().state();
    switch (s.state) {
        case State::Run:
            return DepStatus::Ready;
        case State::Starting:
            return s.failures > 0 ? DepStatus::Retrying : DepStatus::Starting;
        case State::Backoff:
            return DepStatus::Retrying;
        case State::Down:  // wanted up: on its way (a control script before its start)
            return s.want == Want::Down ? DepStatus::Absent : DepStatus::Starting;
        case State::Stopping:
        case State::Finish:
            return s.want == Want::Up ? DepStatus::Retrying : DepStatus::Absent;
        case State::Failed:
            return DepStatus::Absent;
    }
    return DepStatus::Absent;
}

void Supervisor::update_gate(Service& service) {
    const std::string& name = service.spec().name;
    if (graph_.waits_for(name).empty() && !service.gate()) return;  // nothing to wait for
    const Gate gate =
        graph_.start_gate(name, [this](std::string_view dep) { return dep_status(dep); });
    if (service.gate() && *service.gate() == gate) return;
    service.set_gate(gate);
    notify_observers(name);  // "waiting for db" appears or goes
}

// Gates depend on other services' states, and telling one service may change its state
// (and so others' gates): loop until nothing changes, never re-entering.
void Supervisor::update_gates() {
    if (updating_gates_) {
        gates_dirty_ = true;
        return;
    }
    updating_gates_ = true;
    do {
        gates_dirty_ = false;
        for (const std::string& name : gated_) {
            if (auto it = services_.find(name); it != services_.end()) update_gate(*it->second);
        }
    } while (gates_dirty_);
    updating_gates_ = false;
}

// Stops, in reverse dependency order, every service whose dependents have all stopped.
void Supervisor::advance_stop_all() {
    if (advancing_stop_) return;
    advancing_stop_ = true;
    const auto stopped = [this](std::string_view name) {
        if (services_.contains(name)) return false;
        for (const auto& service : retired_) {
            if (service->spec().name == name && !service->settled()) return false;
        }
        return true;
    };
    // A service that is down already settles at once, which may open the next level.
    for (bool more = true; more;) {
        std::vector<std::string> ready;
        for (const auto& [name, service] : services_) {
            if (graph_.stop_gate(name, stopped).open) ready.push_back(name);
        }
        more = !ready.empty();
        for (const auto& name : ready) {
            auto it = services_.find(name);
            if (it == services_.end()) continue;
            auto service = std::move(it->second);
            services_.erase(it);
            retire(std::move(service));
        }
    }
    advancing_stop_ = false;
}

}  // namespace svinit::services
