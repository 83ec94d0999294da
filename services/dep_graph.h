#pragma once
// The dependency graph between services, and the decisions it drives, as pure functions:
// start order, shutdown order, cycles, and what `requires` propagates. It never starts or
// stops anything; the supervisor asks it and acts.
//
// "A waits for B" (A -> B) when A requires, wants or is after B, or B is before A. A starts
// only when what it waits for allows (start_gate); at shutdown B stops only once A is gone
// (stop_gate), so shutdown runs in reverse start order. Only `requires` propagates: when B
// stops or fails for good, every service that requires it (directly or through others)
// stops, and starts again when B is back (stop_with, start_again_with). wants, after and
// before only order.

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "services/service_spec.h"

namespace svinit::services {

// What a dependency is doing, as the supervisor sees it.
enum class DepStatus {
    Ready,     // up and ready (a oneshot: exited 0)
    Starting,  // wanted up, first try under way (spawning, not ready yet, itself waiting)
    Retrying,  // wanted up, failed at least once: in backoff or trying again
    Absent,    // not coming: down and not wanted, stopping, failed for good, or unknown
};

// Whether a service may go ahead now.
struct Gate {
    bool open = true;
    std::string waiting_for;  // when closed: the dependency it waits for
    // Closed because a required dependency is Absent: it will not open until that one is
    // back (svctl status: "waiting for db", and db is down).
    bool blocked = false;
    bool operator==(const Gate&) const = default;
};

using StatusOf = std::function<DepStatus(std::string_view name)>;
using IsStopped = std::function<bool(std::string_view name)>;

class DepGraph {
public:
    DepGraph() = default;

    // From specs with unique names. A dependency naming no service in `specs` is ignored
    // (config/ reports it); so is a repeated name.
    static DepGraph build(std::span<const ServiceSpec> specs);

    const std::vector<std::string>& names() const noexcept { return names_; }  // sorted
    bool contains(std::string_view name) const { return index(name) != kNone; }

    // Every dependency cycle, one per group of services that wait for each other, spelled
    // from the group's smallest name back to it: {"api", "web", "api"} is
    // `api -> web -> api` (api waits for web, web for api). Empty when there is none.
    const std::vector<std::vector<std::string>>& cycles() const noexcept { return cycles_; }
    static std::string spell(const std::vector<std::string>& cycle);  // "api -> web -> api"

    // Start order: level 0 waits for nothing; a service in level n waits only for services
    // in levels before n, so each level may start at once, in parallel. Services on or
    // behind a cycle are in no level. Names sorted within a level.
    const std::vector<std::vector<std::string>>& start_levels() const noexcept { return levels_; }
    // Shutdown order: the start levels reversed.
    std::vector<std::vector<std::string>> stop_levels() const;

    // Direct relations, sorted. Unknown names: empty.
    std::vector<std::string> waits_for(std::string_view name) const;  // its ordering deps
    std::vector<std::string> waited_by(std::string_view name) const;  // who waits for it
    std::vector<std::string> required_by(std::string_view name) const;

    // May `name` start now? A required dependency must be Ready (Starting or Retrying:
    // wait; Absent: blocked). An order-only one (wants, after, before) must have finished
    // its first try: Ready, Retrying or Absent will do, Starting means wait. When a gate is
    // closed, re-ask when something in waits_for(name) changes status. Unknown: open.
    Gate start_gate(std::string_view name, const StatusOf& status) const;

    // During shutdown, may `name` be stopped now? Only when every service that waits for it
    // is stopped (each of those stops is bounded by its own timeout, so this ends).
    Gate stop_gate(std::string_view name, const IsStopped& stopped) const;

    // When `name` stops (told down, removed) or fails for good: every service that requires
    // it, directly or through others, in stop order (those furthest from it first).
    // Not when it merely exits and is restarted.
    std::vector<std::string> stop_with(std::string_view name) const;
    // When `name` is back (ready again): the same services in start order. The supervisor
    // starts those it stopped for `name` and still wants up, each when its start_gate opens.
    std::vector<std::string> start_again_with(std::string_view name) const;

private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t index(std::string_view name) const;
    std::vector<std::string> names_of(const std::vector<std::size_t>& nodes) const;
    std::vector<std::size_t> requirers_closure(std::size_t node) const;
    void compute_levels();
    void compute_cycles();

    std::vector<std::string> names_;                  // sorted; a node is its index here
    std::vector<std::vector<std::size_t>> waits_;     // node -> the nodes it waits for
    std::vector<std::vector<std::size_t>> waited_;    // node -> the nodes waiting for it
    std::vector<std::vector<std::size_t>> requires_;  // node -> its required nodes
    std::vector<std::vector<std::size_t>> required_;  // node -> the nodes requiring it
    std::vector<std::size_t> rank_;  // position in start order; on a cycle: after all others
    std::vector<std::vector<std::string>> levels_;
    std::vector<std::vector<std::string>> cycles_;
};

}  // namespace svinit::services
