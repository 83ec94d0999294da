// The dependency graph: start and stop order, cycles spelled out, start gates, and what
// `requires` propagates. Pure: specs in, decisions out.

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "services/dep_graph.h"

using namespace svinit::services;
using Names = std::vector<std::string>;
using Levels = std::vector<Names>;

namespace {

struct Deps {
    Names required{}, wanted{}, after{}, before{};
};

ServiceSpec service(std::string name, Deps deps = {}) {
    ServiceSpec spec{std::move(name), {}, {}};
    spec.deps.required = std::move(deps.required);
    spec.deps.wanted = std::move(deps.wanted);
    spec.deps.after = std::move(deps.after);
    spec.deps.before = std::move(deps.before);
    return spec;
}

DepGraph graph(const std::vector<ServiceSpec>& specs) {
    return DepGraph::build(specs);
}

StatusOf statuses(std::map<std::string, DepStatus> known) {
    return [known = std::move(known)](std::string_view name) {
        auto found = known.find(std::string(name));
        return found == known.end() ? DepStatus::Absent : found->second;
    };
}

}  // namespace

TEST_CASE("independent services form one level and start together", "[dep_graph]") {
    const auto g = graph({service("c"), service("a"), service("b")});
    CHECK(g.start_levels() == Levels{{"a", "b", "c"}});
    CHECK(g.cycles().empty());
}

TEST_CASE("each kind of dependency orders the start", "[dep_graph]") {
    // web requires api, api wants db, worker is after db, migrate is before db.
    const auto g = graph({service("web", {.required = {"api"}}), service("api", {.wanted = {"db"}}),
                          service("db"), service("worker", {.after = {"db"}}),
                          service("migrate", {.before = {"db"}})});
    CHECK(g.start_levels() == Levels{{"migrate"}, {"db"}, {"api", "worker"}, {"web"}});
    CHECK(g.stop_levels() == Levels{{"web"}, {"api", "worker"}, {"db"}, {"migrate"}});
    CHECK(g.waits_for("db") == Names{"migrate"});
    CHECK(g.waited_by("db") == Names{"api", "worker"});
}

TEST_CASE("a dependency on an unknown service is ignored by the graph", "[dep_graph]") {
    const auto g = graph({service("web", {.required = {"nope"}})});
    CHECK(g.start_levels() == Levels{{"web"}});
    CHECK(g.waits_for("web").empty());
    CHECK(g.start_gate("web", statuses({})).open);
}

TEST_CASE("cycles are found and spelled from their smallest name", "[dep_graph]") {
    SECTION("two services") {
        const auto g =
            graph({service("web", {.required = {"api"}}), service("api", {.required = {"web"}})});
        REQUIRE(g.cycles().size() == 1);
        CHECK(DepGraph::spell(g.cycles()[0]) == "api -> web -> api");
        CHECK(g.start_levels().empty());
    }
    SECTION("a service on itself") {
        const auto g = graph({service("web", {.after = {"web"}}), service("db")});
        REQUIRE(g.cycles().size() == 1);
        CHECK(DepGraph::spell(g.cycles()[0]) == "web -> web");
        CHECK(g.start_levels() == Levels{{"db"}});
    }
    SECTION("through before, which points the other way") {
        // a before b: b waits for a; a requires b: a waits for b.
        const auto g = graph({service("a", {.required = {"b"}, .before = {"b"}}), service("b")});
        REQUIRE(g.cycles().size() == 1);
        CHECK(DepGraph::spell(g.cycles()[0]) == "a -> b -> a");
    }
    SECTION("one per group, and services behind a cycle are left out of the levels") {
        const auto g = graph({service("a", {.required = {"b"}}), service("b", {.required = {"a"}}),
                              service("x", {.wanted = {"y"}}), service("y", {.wanted = {"z"}}),
                              service("z", {.wanted = {"x"}}),
                              service("behind", {.required = {"a"}}), service("free")});
        REQUIRE(g.cycles().size() == 2);
        CHECK(DepGraph::spell(g.cycles()[0]) == "a -> b -> a");
        CHECK(DepGraph::spell(g.cycles()[1]) == "x -> y -> z -> x");
        CHECK(g.start_levels() == Levels{{"free"}});
    }
    SECTION("the shortest way round") {
        const auto g =
            graph({service("a", {.required = {"b", "c"}}), service("b", {.required = {"c"}}),
                   service("c", {.required = {"a"}})});
        REQUIRE(g.cycles().size() == 1);
        CHECK(DepGraph::spell(g.cycles()[0]) == "a -> c -> a");
    }
}

TEST_CASE("a long chain is ordered without deep recursion", "[dep_graph]") {
    std::vector<ServiceSpec> specs;
    constexpr int kLength = 20'000;
    for (int i = 0; i < kLength; ++i) {
        Deps deps;
        if (i > 0) deps.required = {"s" + std::to_string(i - 1)};
        specs.push_back(service("s" + std::to_string(i), deps));
    }
    specs.front().deps.after = {"s" + std::to_string(kLength - 1)};  // close the ring
    const auto ring = graph(specs);
    REQUIRE(ring.cycles().size() == 1);
    CHECK(ring.cycles()[0].size() == kLength + 1);

    specs.front().deps.after.clear();
    const auto chain = graph(specs);
    CHECK(chain.cycles().empty());
    CHECK(chain.start_levels().size() == kLength);
    CHECK(chain.stop_with("s0").size() == kLength - 1);
}

TEST_CASE("start gate: requires waits for ready, order-only waits for the first try",
          "[dep_graph]") {
    const auto g = graph({service("web", {.required = {"db"}, .wanted = {"cache"}})});
    // The graph only knows web; its dependencies must be services too.
    const auto full = graph({service("web", {.required = {"db"}, .wanted = {"cache"}}),
                             service("db"), service("cache")});
    auto gate = [&full](DepStatus db, DepStatus cache) {
        return full.start_gate("web", statuses({{"db", db}, {"cache", cache}}));
    };
    CHECK(g.start_gate("web", statuses({})).open);

    CHECK(gate(DepStatus::Ready, DepStatus::Ready) == Gate{true, "", false});
    CHECK(gate(DepStatus::Starting, DepStatus::Ready) == Gate{false, "db", false});
    CHECK(gate(DepStatus::Retrying, DepStatus::Ready) == Gate{false, "db", false});
    CHECK(gate(DepStatus::Absent, DepStatus::Ready) == Gate{false, "db", true});
    CHECK(gate(DepStatus::Ready, DepStatus::Starting) == Gate{false, "cache", false});
    CHECK(gate(DepStatus::Ready, DepStatus::Retrying) == Gate{true, "", false});
    CHECK(gate(DepStatus::Ready, DepStatus::Absent) == Gate{true, "", false});
    // Blocked wins over waiting: it says why the service will not start on its own.
    CHECK(gate(DepStatus::Absent, DepStatus::Starting) == Gate{false, "db", true});
}

TEST_CASE("a before dependency gates the other service", "[dep_graph]") {
    const auto g = graph({service("migrate", {.before = {"web"}}), service("web")});
    CHECK(g.start_gate("web", statuses({{"migrate", DepStatus::Starting}})) ==
          Gate{false, "migrate", false});
    CHECK(g.start_gate("web", statuses({{"migrate", DepStatus::Ready}})).open);
    CHECK(g.start_gate("migrate", statuses({{"web", DepStatus::Starting}})).open);
}

TEST_CASE("stop gate: a service stops after everything that waits for it", "[dep_graph]") {
    const auto g = graph({service("web", {.required = {"db"}}),
                          service("worker", {.after = {"db"}}), service("db")});
    std::set<std::string> stopped;
    auto is_stopped = [&stopped](std::string_view name) {
        return stopped.contains(std::string(name));
    };
    CHECK(g.stop_gate("web", is_stopped).open);
    CHECK(g.stop_gate("db", is_stopped) == Gate{false, "web", false});
    stopped.insert("web");
    CHECK(g.stop_gate("db", is_stopped) == Gate{false, "worker", false});
    stopped.insert("worker");
    CHECK(g.stop_gate("db", is_stopped).open);
}

TEST_CASE("requires propagates stops and restarts, wants and after do not", "[dep_graph]") {
    // db <- api (requires) <- web (requires); worker wants db; report is after db;
    // admin requires both api and db.
    const auto g = graph(
        {service("db"), service("api", {.required = {"db"}}), service("web", {.required = {"api"}}),
         service("worker", {.wanted = {"db"}}), service("report", {.after = {"db"}}),
         service("admin", {.required = {"api", "db"}})});
    CHECK(g.required_by("db") == Names{"admin", "api"});
    // Furthest from db first, so nothing is left running without what it requires.
    CHECK(g.stop_with("db") == Names{"web", "admin", "api"});
    CHECK(g.start_again_with("db") == Names{"api", "admin", "web"});
    CHECK(g.stop_with("api") == Names{"web", "admin"});
    CHECK(g.stop_with("web").empty());
    CHECK(g.stop_with("worker").empty());
    CHECK(g.stop_with("unknown").empty());
}
