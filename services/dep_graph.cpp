#include "services/dep_graph.h"

#include <algorithm>
#include <deque>
#include <utility>

namespace svinit::services {
namespace {

void add_unique(std::vector<std::size_t>& list, std::size_t node) {
    if (std::find(list.begin(), list.end(), node) == list.end()) list.push_back(node);
}

void sort_all(std::vector<std::vector<std::size_t>>& lists) {
    for (auto& list : lists) std::ranges::sort(list);
}

}  // namespace

DepGraph DepGraph::build(std::span<const ServiceSpec> specs) {
    DepGraph graph;
    for (const ServiceSpec& spec : specs) graph.names_.push_back(spec.name);
    std::ranges::sort(graph.names_);
    graph.names_.erase(std::unique(graph.names_.begin(), graph.names_.end()), graph.names_.end());
    const std::size_t n = graph.names_.size();
    graph.waits_.resize(n);
    graph.waited_.resize(n);
    graph.requires_.resize(n);
    graph.required_.resize(n);

    auto wait = [&graph](std::size_t waiter, std::size_t waited) {
        add_unique(graph.waits_[waiter], waited);
        add_unique(graph.waited_[waited], waiter);
    };
    for (const ServiceSpec& spec : specs) {
        const std::size_t self = graph.index(spec.name);
        for (const std::string& dep : spec.deps.required) {
            const std::size_t other = graph.index(dep);
            if (other == kNone) continue;
            add_unique(graph.requires_[self], other);
            add_unique(graph.required_[other], self);
            wait(self, other);
        }
        for (const auto* list : {&spec.deps.wanted, &spec.deps.after}) {
            for (const std::string& dep : *list) {
                if (const std::size_t other = graph.index(dep); other != kNone) wait(self, other);
            }
        }
        for (const std::string& dep : spec.deps.before) {
            if (const std::size_t other = graph.index(dep); other != kNone) wait(other, self);
        }
    }
    sort_all(graph.waits_);
    sort_all(graph.waited_);
    sort_all(graph.requires_);
    sort_all(graph.required_);
    graph.compute_levels();
    graph.compute_cycles();
    return graph;
}

std::size_t DepGraph::index(std::string_view name) const {
    auto found = std::ranges::lower_bound(names_, name);
    if (found == names_.end() || *found != name) return kNone;
    return static_cast<std::size_t>(found - names_.begin());
}

std::vector<std::string> DepGraph::names_of(const std::vector<std::size_t>& nodes) const {
    std::vector<std::string> out;
    out.reserve(nodes.size());
    for (std::size_t node : nodes) out.push_back(names_[node]);
    return out;
}

// Kahn's algorithm, a level at a time. What is never freed is on or behind a cycle.
void DepGraph::compute_levels() {
    const std::size_t n = names_.size();
    std::vector<std::size_t> pending(n);
    std::vector<std::size_t> level;
    for (std::size_t node = 0; node < n; ++node) {
        pending[node] = waits_[node].size();
        if (pending[node] == 0) level.push_back(node);
    }
    rank_.assign(n, kNone);
    std::size_t next_rank = 0;
    while (!level.empty()) {
        std::vector<std::size_t> next;
        for (std::size_t node : level) {
            rank_[node] = next_rank++;
            for (std::size_t waiter : waited_[node]) {
                if (--pending[waiter] == 0) next.push_back(waiter);
            }
        }
        levels_.push_back(names_of(level));
        std::ranges::sort(next);
        level = std::move(next);
    }
    for (std::size_t node = 0; node < n; ++node) {
        if (rank_[node] == kNone) rank_[node] = next_rank++;
    }
}

// Tarjan's strongly connected components, iteratively (a chain of 10,000 services must not
// exhaust PID 1's stack), then the shortest cycle through each component's smallest name.
void DepGraph::compute_cycles() {
    const std::size_t n = names_.size();
    std::vector<std::size_t> order(n, kNone), low(n, 0), component(n, kNone);
    std::vector<bool> on_stack(n, false);
    std::vector<std::size_t> stack;
    std::vector<std::pair<std::size_t, std::size_t>> frames;  // node, next edge to visit
    std::size_t counter = 0, components = 0;

    for (std::size_t root = 0; root < n; ++root) {
        if (order[root] != kNone) continue;
        frames.emplace_back(root, 0);
        while (!frames.empty()) {
            auto& [node, edge] = frames.back();
            if (edge == 0 && order[node] == kNone) {
                order[node] = low[node] = counter++;
                stack.push_back(node);
                on_stack[node] = true;
            }
            if (edge < waits_[node].size()) {
                const std::size_t next = waits_[node][edge++];
                if (order[next] == kNone) {
                    frames.emplace_back(next, 0);
                } else if (on_stack[next]) {
                    low[node] = std::min(low[node], order[next]);
                }
                continue;
            }
            const std::size_t done = node;
            frames.pop_back();
            if (!frames.empty()) {
                const std::size_t parent = frames.back().first;
                low[parent] = std::min(low[parent], low[done]);
            }
            if (low[done] != order[done]) continue;
            std::size_t member = kNone;
            do {
                member = stack.back();
                stack.pop_back();
                on_stack[member] = false;
                component[member] = components;
            } while (member != done);
            ++components;
        }
    }

    std::vector<std::size_t> size(components, 0);
    for (std::size_t node = 0; node < n; ++node) ++size[component[node]];
    std::vector<bool> reported(components, false);
    for (std::size_t start = 0; start < n; ++start) {  // names ascending: smallest first
        const std::size_t comp = component[start];
        if (reported[comp]) continue;
        const bool self_loop = std::ranges::binary_search(waits_[start], start);
        if (size[comp] < 2 && !self_loop) continue;
        reported[comp] = true;
        // Breadth-first within the component, back to `start`.
        std::vector<std::size_t> parent(n, kNone);
        std::deque<std::size_t> queue{start};
        std::size_t last = kNone;
        while (!queue.empty() && last == kNone) {
            const std::size_t node = queue.front();
            queue.pop_front();
            for (std::size_t next : waits_[node]) {
                if (component[next] != comp) continue;
                if (next == start) {
                    last = node;
                    break;
                }
                if (parent[next] == kNone) {
                    parent[next] = node;
                    queue.push_back(next);
                }
            }
        }
        std::vector<std::string> cycle{names_[start]};
        for (std::size_t node = last; node != start; node = parent[node]) {
            cycle.push_back(names_[node]);
        }
        std::reverse(cycle.begin() + 1, cycle.end());
        cycle.push_back(names_[start]);
        cycles_.push_back(std::move(cycle));
    }
}

std::string DepGraph::spell(const std::vector<std::string>& cycle) {
    std::string out;
    for (const std::string& name : cycle) {
        if (!out.empty()) out += " -> ";
        out += name;
    }
    return out;
}

std::vector<std::vector<std::string>> DepGraph::stop_levels() const {
    return {levels_.rbegin(), levels_.rend()};
}

std::vector<std::string> DepGraph::waits_for(std::string_view name) const {
    const std::size_t node = index(name);
    return node == kNone ? std::vector<std::string>{} : names_of(waits_[node]);
}

std::vector<std::string> DepGraph::waited_by(std::string_view name) const {
    const std::size_t node = index(name);
    return node == kNone ? std::vector<std::string>{} : names_of(waited_[node]);
}

std::vector<std::string> DepGraph::required_by(std::string_view name) const {
    const std::size_t node = index(name);
    return node == kNone ? std::vector<std::string>{} : names_of(required_[node]);
}

Gate DepGraph::start_gate(std::string_view name, const StatusOf& status) const {
    const std::size_t node = index(name);
    if (node == kNone) return Gate{};
    Gate waiting{};
    for (std::size_t dep : waits_[node]) {
        const bool required = std::ranges::binary_search(requires_[node], dep);
        switch (status(names_[dep])) {
            case DepStatus::Ready:
                continue;
            case DepStatus::Starting:
                break;
            case DepStatus::Retrying:
                if (!required) continue;
                break;
            case DepStatus::Absent:
                if (!required) continue;
                return Gate{false, names_[dep], true};
        }
        if (waiting.open) waiting = Gate{false, names_[dep], false};
    }
    return waiting;
}

Gate DepGraph::stop_gate(std::string_view name, const IsStopped& stopped) const {
    const std::size_t node = index(name);
    if (node == kNone) return Gate{};
    for (std::size_t waiter : waited_[node]) {
        if (!stopped(names_[waiter])) return Gate{false, names_[waiter], false};
    }
    return Gate{};
}

std::vector<std::size_t> DepGraph::requirers_closure(std::size_t node) const {
    std::vector<bool> seen(names_.size(), false);
    std::vector<std::size_t> out, todo{node};
    seen[node] = true;
    while (!todo.empty()) {
        const std::size_t current = todo.back();
        todo.pop_back();
        for (std::size_t requirer : required_[current]) {
            if (seen[requirer]) continue;
            seen[requirer] = true;
            out.push_back(requirer);
            todo.push_back(requirer);
        }
    }
    std::ranges::sort(out, {}, [this](std::size_t n) { return rank_[n]; });
    return out;
}

std::vector<std::string> DepGraph::stop_with(std::string_view name) const {
    const std::size_t node = index(name);
    if (node == kNone) return {};
    auto nodes = requirers_closure(node);
    std::reverse(nodes.begin(), nodes.end());
    return names_of(nodes);
}

std::vector<std::string> DepGraph::start_again_with(std::string_view name) const {
    const std::size_t node = index(name);
    if (node == kNone) return {};
    return names_of(requirers_closure(node));
}

}  // namespace svinit::services
