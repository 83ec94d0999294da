#include <catch2/catch.hpp>
#include <string_view>
#include <vector>

#include "core/program_name.h"
#include "svctl/args.h"

using namespace std::chrono_literals;
using svinit::control::RequestKind;
using svinit::services::Command;
using svinit::services::WaitTarget;
using svinit::svctl::SvAction;
using svinit::svctl::SvCheck;
using svinit::svctl::SvctlAction;

namespace {

auto svctl(std::vector<std::string_view> args,
           std::optional<std::string_view> socket_env = std::nullopt) {
    return svinit::svctl::parse_svctl_args(args, socket_env);
}

auto sv(std::vector<std::string_view> args, std::optional<std::string_view> svwait = std::nullopt) {
    return svinit::svctl::parse_sv_args(args, svwait);
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("svctl status takes any number of services", "[svctl]") {
    auto all = svctl({"status"});
    REQUIRE(all);
    CHECK(all->action == SvctlAction::Run);
    CHECK(all->kind == RequestKind::Status);
    CHECK(all->services.empty());
    CHECK(all->socket_path == "/run/svinit/control.sock");
    CHECK_FALSE(all->json);

    auto some = svctl({"status", "web", "/etc/service/db"});
    REQUIRE(some);
    CHECK(some->services == Names{"web", "/etc/service/db"});
}

TEST_CASE("svctl's socket: --socket, else SVINIT_SOCKET, else the default", "[svctl]") {
    CHECK(svctl({"--socket", "/tmp/a.sock", "status"})->socket_path == "/tmp/a.sock");
    CHECK(svctl({"--socket=/tmp/b.sock", "status"})->socket_path == "/tmp/b.sock");
    CHECK(svctl({"status"}, "/tmp/env.sock")->socket_path == "/tmp/env.sock");
    CHECK(svctl({"--socket", "/tmp/a.sock", "status"}, "/tmp/env.sock")->socket_path ==
          "/tmp/a.sock");
    CHECK(svctl({"status"}, "")->socket_path == "/run/svinit/control.sock");
    CHECK_FALSE(svctl({"--socket"}));
    CHECK_FALSE(svctl({"--socket=", "status"}));
}

TEST_CASE("svctl options may come before or after the command", "[svctl]") {
    auto a = svctl({"--json", "status", "web"});
    auto b = svctl({"status", "web", "--json"});
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->json);
    CHECK(b->json);
    CHECK(b->services == Names{"web"});
    CHECK_FALSE(svctl({"--json=yes", "status"}));
}

TEST_CASE("svctl commands name their services", "[svctl]") {
    const std::vector<std::pair<std::string_view, Command>> commands{
        {"up", Command::Up},           {"down", Command::Down},   {"once", Command::Once},
        {"restart", Command::Restart}, {"pause", Command::Pause}, {"cont", Command::Cont},
        {"term", Command::Term},       {"kill", Command::Kill},   {"hup", Command::Hup},
        {"int", Command::Int},         {"quit", Command::Quit},   {"usr1", Command::Usr1},
        {"usr2", Command::Usr2},       {"alarm", Command::Alarm}};
    for (const auto& [word, command] : commands) {
        INFO(word);
        auto args = svctl({word, "web", "db"});
        REQUIRE(args);
        CHECK(args->kind == RequestKind::Command);
        CHECK(args->command == command);
        CHECK(args->services == Names{"web", "db"});
        auto none = svctl({word});
        REQUIRE_FALSE(none);
        CHECK(none.error().message() == std::string(word) + " needs at least one service");
    }
}

TEST_CASE("svctl wait up|down with an optional timeout", "[svctl]") {
    auto forever = svctl({"wait", "up", "web"});
    REQUIRE(forever);
    CHECK(forever->kind == RequestKind::Wait);
    CHECK(forever->target == WaitTarget::Up);
    CHECK_FALSE(forever->timeout);
    CHECK(forever->services == Names{"web"});

    auto bounded = svctl({"wait", "down", "--timeout", "2.5", "web", "db"});
    REQUIRE(bounded);
    CHECK(bounded->target == WaitTarget::Down);
    CHECK(bounded->timeout == 2500ms);
    CHECK(bounded->services == Names{"web", "db"});
    CHECK(svctl({"wait", "up", "web", "--timeout=3"})->timeout == 3000ms);
    CHECK(svctl({"wait", "up", "--timeout", "0", "web"})->timeout == 0ms);

    CHECK(svctl({"wait"}).error().message() == "wait: missing up, ready or down");
    CHECK(svctl({"wait", "sideways", "web"}).error().message() ==
          "wait: 'sideways' is not up, ready or down");
    CHECK(svctl({"wait", "up"}).error().message() == "wait needs at least one service");
    CHECK_FALSE(svctl({"wait", "up", "--timeout", "-1", "web"}));
    CHECK_FALSE(svctl({"wait", "up", "--timeout", "soon", "web"}));
    CHECK_FALSE(svctl({"wait", "up", "--timeout", "86401", "web"}));
    CHECK(svctl({"status", "--timeout", "3"}).error().message() ==
          "--timeout goes with wait, not status");
}

TEST_CASE("svctl shutdown, check and reload take no service", "[svctl]") {
    CHECK(svctl({"shutdown"})->kind == RequestKind::Shutdown);
    CHECK(svctl({"check"})->kind == RequestKind::Check);
    CHECK(svctl({"reload"})->kind == RequestKind::Reload);
    CHECK(svctl({"reload", "web"}).error().message() == "reload takes no service");
    CHECK(svctl({"shutdown", "web"}).error().message() == "shutdown takes no service");
    CHECK(svctl({"check", "web"}).error().message() == "check takes no service");
}

TEST_CASE("svctl usage errors name what is wrong", "[svctl]") {
    CHECK(svctl({}).error().message() == "missing command");
    CHECK(svctl({"frob", "web"}).error().message() == "unknown command 'frob'");
    CHECK(svctl({"--frob", "status"}).error().message() == "unknown option '--frob'");
    CHECK(svctl({"up", ""}).error().message() == "up: empty service name");
    std::vector<std::string> many(svinit::control::kMaxServicesPerRequest + 1, "s");
    std::vector<std::string_view> args{"status"};
    args.insert(args.end(), many.begin(), many.end());
    CHECK_FALSE(svinit::svctl::parse_svctl_args(args, std::nullopt));
}

TEST_CASE("svctl: -- ends the options; help and version", "[svctl]") {
    auto odd = svctl({"up", "--", "--json", "-x"});
    REQUIRE(odd);
    CHECK_FALSE(odd->json);
    CHECK(odd->services == Names{"--json", "-x"});
    CHECK(svctl({"-h"})->action == SvctlAction::Help);
    CHECK(svctl({"status", "--help"})->action == SvctlAction::Help);
    CHECK(svctl({"--version"})->action == SvctlAction::Version);
    CHECK(svinit::svctl::svctl_usage().starts_with("usage: svctl"));
}

TEST_CASE("sv parses runit's options: -v, -w SEC (which implies -v), SVWAIT", "[svctl]") {
    auto plain = sv({"status", "web"});
    REQUIRE(plain);
    CHECK_FALSE(plain->verbose);
    CHECK(plain->wait == 7s);
    CHECK(plain->action == SvAction::Status);
    CHECK(plain->check == SvCheck::None);
    CHECK(plain->services == Names{"web"});

    auto v = sv({"-v", "up", "web"});
    REQUIRE(v);
    CHECK(v->verbose);
    CHECK(v->check == SvCheck::Up);

    auto w = sv({"-w", "30", "down", "web"});
    REQUIRE(w);
    CHECK(w->verbose);
    CHECK(w->wait == 30s);
    CHECK(w->check == SvCheck::Down);
    CHECK(sv({"-w5", "up", "x"})->wait == 5s);
    CHECK(sv({"-vw", "3", "up", "x"})->wait == 3s);
    CHECK(sv({"up", "x"}, "12")->wait == 12s);
    CHECK(sv({"-w", "2", "up", "x"}, "12")->wait == 2s);
    // scan_ulong: leading digits, else 0.
    CHECK(sv({"-w", "4s", "up", "x"})->wait == 4s);
    CHECK(sv({"-w", "soon", "up", "x"})->wait == 0s);
    CHECK(sv({"-w", "999999999", "up", "x"})->wait == 86400s);
}

TEST_CASE("sv options stop at the command, as with runit's getopt", "[svctl]") {
    auto args = sv({"status", "-v", "web"});
    REQUIRE(args);
    CHECK_FALSE(args->verbose);
    CHECK(args->services == Names{"-v", "web"});
    CHECK(sv({"--", "status", "web"})->action == SvAction::Status);
}

TEST_CASE("sv usage errors", "[svctl]") {
    CHECK_FALSE(sv({}));
    CHECK_FALSE(sv({"-v"}));
    CHECK_FALSE(sv({"status"}));
    CHECK_FALSE(sv({"-x", "status", "web"}));
    CHECK_FALSE(sv({"-w"}));
    CHECK_FALSE(sv({"zap", "web"}));
    CHECK_FALSE(sv({"r", "web"}));
    CHECK_FALSE(sv({"f", "web"}));
    CHECK_FALSE(sv({"", "web"}));
    auto version = sv({"-V", "status", "web"});
    REQUIRE(version);
    CHECK(version->version);
    CHECK(svinit::svctl::sv_usage() == "usage: sv [-v] [-w sec] command service ...\n");
    CHECK(svinit::svctl::kSvUsageExit == 100);
}

TEST_CASE("sv verbs: runit's table, by first letter", "[svctl]") {
    struct Row {
        std::string_view verb;
        SvAction action;
        Command command;
        SvCheck quiet;    // without -v
        SvCheck verbose;  // with -v
        bool kill;
    };
    const std::vector<Row> rows{
        {"status", SvAction::Status, Command::Up, SvCheck::None, SvCheck::None, false},
        {"s", SvAction::Status, Command::Up, SvCheck::None, SvCheck::None, false},
        {"up", SvAction::Control, Command::Up, SvCheck::None, SvCheck::Up, false},
        {"u", SvAction::Control, Command::Up, SvCheck::None, SvCheck::Up, false},
        {"down", SvAction::Control, Command::Down, SvCheck::None, SvCheck::Down, false},
        {"once", SvAction::Control, Command::Once, SvCheck::None, SvCheck::Immediate, false},
        {"pause", SvAction::Control, Command::Pause, SvCheck::None, SvCheck::Immediate, false},
        {"cont", SvAction::Control, Command::Cont, SvCheck::None, SvCheck::Immediate, false},
        {"hup", SvAction::Control, Command::Hup, SvCheck::None, SvCheck::Immediate, false},
        {"alarm", SvAction::Control, Command::Alarm, SvCheck::None, SvCheck::Immediate, false},
        {"interrupt", SvAction::Control, Command::Int, SvCheck::None, SvCheck::Immediate, false},
        {"quit", SvAction::Control, Command::Quit, SvCheck::None, SvCheck::Immediate, false},
        {"1", SvAction::Control, Command::Usr1, SvCheck::None, SvCheck::Immediate, false},
        {"2", SvAction::Control, Command::Usr2, SvCheck::None, SvCheck::Immediate, false},
        {"term", SvAction::Control, Command::Term, SvCheck::None, SvCheck::Immediate, false},
        {"kill", SvAction::Control, Command::Kill, SvCheck::None, SvCheck::Immediate, false},
        {"exit", SvAction::Control, Command::Exit, SvCheck::None, SvCheck::Down, false},
        {"start", SvAction::Control, Command::Up, SvCheck::Up, SvCheck::Up, false},
        {"stop", SvAction::Control, Command::Down, SvCheck::Down, SvCheck::Down, false},
        {"shutdown", SvAction::Control, Command::Exit, SvCheck::Down, SvCheck::Down, false},
        {"restart", SvAction::Control, Command::Restart, SvCheck::Up, SvCheck::Up, false},
        {"reload", SvAction::Control, Command::Hup, SvCheck::Immediate, SvCheck::Immediate, false},
        {"check", SvAction::Check, Command::Up, SvCheck::Ready, SvCheck::Ready, false},
        {"try-restart", SvAction::TryRestart, Command::Restart, SvCheck::Up, SvCheck::Up, false},
        {"force-reload", SvAction::TryRestart, Command::Restart, SvCheck::Up, SvCheck::Up, true},
        {"force-restart", SvAction::Control, Command::Restart, SvCheck::Up, SvCheck::Up, true},
        {"force-stop", SvAction::Control, Command::Down, SvCheck::Down, SvCheck::Down, true},
        {"force-shutdown", SvAction::Control, Command::Exit, SvCheck::Down, SvCheck::Down, true},
    };
    for (const auto& row : rows) {
        INFO(row.verb);
        auto quiet = sv({row.verb, "web"});
        REQUIRE(quiet);
        CHECK(quiet->verb == row.verb);
        CHECK(quiet->action == row.action);
        if (row.action != SvAction::Status && row.action != SvAction::Check) {
            CHECK(quiet->command == row.command);
        }
        CHECK(quiet->check == row.quiet);
        CHECK(quiet->kill_on_timeout == row.kill);
        auto loud = sv({"-v", row.verb, "web"});
        REQUIRE(loud);
        CHECK(loud->check == row.verbose);
    }
}

TEST_CASE("svctl, sv, setuser and my_init are told apart by argv[0]'s last component", "[svctl]") {
    using svinit::core::invoked_as;
    CHECK(invoked_as("sv", "sv"));
    CHECK(invoked_as("/usr/sbin/sv", "sv"));
    CHECK(invoked_as("./sv", "sv"));
    CHECK_FALSE(invoked_as("svctl", "sv"));
    CHECK_FALSE(invoked_as("/bin/sv2", "sv"));
    CHECK_FALSE(invoked_as("/sv/svctl", "sv"));
    CHECK(invoked_as("./build/bin/setuser", "setuser"));
    CHECK_FALSE(invoked_as("setuser/svctl", "setuser"));
    CHECK(invoked_as("/sbin/my_init", "my_init"));
    CHECK_FALSE(invoked_as("/sbin/my_init.py", "my_init"));
}

TEST_CASE("service arguments: names as they are, relative paths made absolute", "[svctl]") {
    using svinit::svctl::wire_service_name;
    CHECK(wire_service_name("web", "/srv") == "web");
    CHECK(wire_service_name("/etc/service/web", "/srv") == "/etc/service/web");
    CHECK(wire_service_name("/etc/service//web/", "/srv") == "/etc/service/web");
    CHECK(wire_service_name("/", "/srv") == "/");
    CHECK(wire_service_name("./web", "/srv") == "/srv/web");
    CHECK(wire_service_name(".", "/etc/service/web") == "/etc/service/web");
    CHECK(wire_service_name("../sv/web", "/etc/service") == "/etc/sv/web");
    CHECK(wire_service_name("web/", "/etc/service") == "/etc/service/web");
    // sv's rule: neither starting with '/' or '.' nor ending with '/' is a name; NAME/log
    // names a logger.
    CHECK(wire_service_name("web/log", "/x") == "web/log");
    CHECK(wire_service_name("web/log/", "/x") == "/x/web/log");
    CHECK(wire_service_name("./web", "") == "./web");
}

TEST_CASE("svctl logs takes one service, -n and -f", "[svctl][log]") {
    auto plain = svctl({"logs", "web"});
    REQUIRE(plain);
    CHECK(plain->kind == RequestKind::Logs);
    CHECK(plain->services == Names{"web"});
    CHECK(plain->lines == 10);
    CHECK_FALSE(plain->follow);

    auto follow = svctl({"logs", "-n", "3", "web", "-f"});
    REQUIRE(follow);
    CHECK(follow->lines == 3);
    CHECK(follow->follow);
    CHECK(svctl({"logs", "--lines=0", "--follow", "web"})->lines == 0);
    // --since alone: every line of that time; with -n, the last N of them.
    auto since = svctl({"logs", "--since", "10m", "web"});
    REQUIRE(since);
    CHECK(since->since == std::chrono::minutes(10));
    CHECK(since->lines == svinit::control::kMaxLogLines);
    CHECK(svctl({"logs", "-n", "5", "--since", "1m30s", "web"})->lines == 5);
    CHECK(svctl({"logs", "--since", "1m30s", "-n", "5", "web"})->since == std::chrono::seconds(90));
    CHECK(svctl({"logs", "--since", "ten", "web"}).error().message() ==
          "--since: 'ten' is not a duration such as 30s, 10m or 2h (at most 8784h)");

    CHECK_FALSE(svctl({"logs"}));
    CHECK_FALSE(svctl({"logs", "a", "b"}));
    CHECK_FALSE(svctl({"logs", "-n", "x", "web"}));
    CHECK_FALSE(svctl({"logs", "-n", "-1", "web"}));
    CHECK(svctl({"status", "-f"}).error().message() == "-n, -f and --since go with logs, not status");
}
