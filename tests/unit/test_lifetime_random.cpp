// Random sequences of what happens to a supervisor in its life -- services added and
// removed, commands, runs and loggers exiting, time passing, control clients connecting,
// waiting and vanishing, runit's supervise/ keeper and the control server destroyed and
// made again, shutdown -- on the fake loop and fake children, over many seeds. After
// every step the invariants are checked; under ASan (CI's sanitizer build) any callback
// reaching a destroyed object is a failure too. A failing seed is printed, so it can be
// replayed with SVINIT_LIFETIME_SEED=N; SVINIT_LIFETIME_SEEDS=N runs seeds 1..N.

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "control/protocol.h"
#include "control/runit_supervise.h"
#include "control/server.h"
#include "core/unique_fd.h"
#include "fakes/fake_children.h"
#include "fakes/fake_loop.h"
#include "services/supervisor.h"
#include "temp_tree.h"

using namespace svinit;
using namespace std::chrono_literals;
using services::Command;
using services::State;
using services::Want;
using svinit::test::FakeChildren;
using svinit::test::FakeLoop;

namespace {

constexpr int kNames = 8;
constexpr int kStepsPerSeed = 300;
// A bounded number per run, to keep CI's time; SVINIT_LIFETIME_SEEDS=N runs more.
constexpr std::uint32_t kSeeds = 20;

std::size_t open_fds() {
    std::size_t count = 0;
    DIR* dir = ::opendir("/proc/self/fd");
    REQUIRE(dir != nullptr);
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count;
}

// A control client that may send a request, read a little, or just go away.
struct Client {
    core::UniqueFd fd;

    static std::optional<Client> connect(const std::string& path) {
        core::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        REQUIRE(fd);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path.copy(addr.sun_path, sizeof addr.sun_path - 1);
        if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            return std::nullopt;  // the server is gone right now: fine
        }
        return Client{std::move(fd)};
    }
    void send(const control::Request& request) {
        const std::string line = control::encode_request(request) + "\n";
        (void)::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    void drain() {
        char buffer[4096];
        while (::recv(fd.get(), buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
        }
    }
};

class World {
public:
    World(std::uint32_t seed, const std::filesystem::path& root)
        : rng_(seed), root_(root), socket_((root / "control.sock").string()) {
        children_.exit_on_signals(true);
        for (int i = 0; i < kNames; ++i) {
            const std::string name = "svc" + std::to_string(i);
            svinit::test::make_service(root_ / name);
            svinit::test::make_service(root_ / name / "log");
        }
        make_supervisor();
        make_server();
        make_keeper();
    }

    void step() {
        switch (pick(14)) {
            case 0:
                apply_random();
                break;
            case 1:
            case 2:
                command_random();
                break;
            case 3:
            case 4:
                exit_random(false);
                break;
            case 5:
                exit_random(true);
                break;
            case 6:
            case 7:
                loop_.advance(std::chrono::milliseconds(pick(3000)));
                break;
            case 8:
                connect_client();
                break;
            case 9:
                client_acts();
                break;
            case 10:
                make_server();
                break;
            case 11:
                make_keeper();
                break;
            case 12:
                children_.fail_next_spawn(EMFILE);
                break;
            case 13:
                loop_.run_ready();
                break;
        }
        loop_.run_ready();
    }

    // With no more interference, every service settles into what it is wanted to be.
    // (Programs that would not stop by themselves are killed after the stop timeout.)
    void check_settles() {
        loop_.advance(2min);
        for (const auto& name : supervisor_->service_names()) {
            const auto status = supervisor_->status(name);
            REQUIRE(status);
            INFO(name << ": state " << services::to_string(status->main.state) << ", want "
                      << services::to_string(status->main.want));
            if (status->main.want == Want::Up) {
                CHECK(status->main.state == State::Run);
            } else {
                CHECK((status->main.state == State::Down || status->main.state == State::Run));
            }
        }
    }

    // Shutdown completes in bounded (virtual) time, whatever the state.
    void shutdown() {
        bool done = false;
        supervisor_->stop_all([&] { done = true; });
        for (int i = 0; i < 100 && !done; ++i) {
            loop_.run_ready();
            // Loggers drain: they exit by themselves once their pipe is closed.
            for (const pid_t pid : children_.running()) {
                const auto* child = children_.find(pid);
                if (child != nullptr && child->options.cwd.ends_with("/log")) {
                    (void)children_.exit(pid, core::ExitStatus::exited(0));
                }
            }
            loop_.advance(1s);
        }
        CHECK(done);
    }

    // Everything destroyed: nothing armed is left, no fd is left open.
    void destroy() {
        clients_.clear();
        keeper_.reset();
        server_.reset();
        supervisor_.reset();
        loop_.run_ready();
        CHECK(loop_.timer_count() == 0);
        CHECK(loop_.watch_count() == 0);
    }

private:
    std::uint32_t pick(std::uint32_t n) {
        return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng_);
    }
    std::string random_name() { return "svc" + std::to_string(pick(kNames)); }

    void make_supervisor() {
        services::Policy policy;
        policy.stop_timeout = 2s;
        supervisor_.emplace(loop_, children_, policy);
    }

    void make_server() {
        server_.reset();  // live clients, waits and timers go with it
        control::ServerOptions options;
        options.path = socket_;
        options.idle_timeout = 5s;
        options.write_stall_timeout = 3s;
        server_ = std::make_unique<control::ControlServer>(loop_, *supervisor_, options);
        REQUIRE(server_->start());
    }

    void make_keeper() {
        keeper_.reset();
        keeper_ = std::make_unique<control::RunitSupervise>(loop_, *supervisor_);
        keeper_->start();
    }

    void apply_random() {
        std::vector<services::ServiceSpec> specs;
        for (int i = 0; i < kNames; ++i) {
            if (pick(3) == 0) continue;
            services::ServiceSpec spec;
            spec.name = "svc" + std::to_string(i);
            spec.main.dir = root_ / spec.name;
            spec.main.run = spec.main.dir / "run";
            spec.main.normally_down = pick(5) == 0;
            if (pick(2) == 0) {
                services::ProcessSpec log;
                log.dir = spec.main.dir / "log";
                log.run = log.dir / "run";
                spec.log = log;
            }
            specs.push_back(std::move(spec));
        }
        supervisor_->apply(std::move(specs));
    }

    void command_random() {
        static constexpr Command kCommands[] = {Command::Up,      Command::Down,  Command::Once,
                                                Command::Restart, Command::Pause, Command::Cont,
                                                Command::Term,    Command::Kill,  Command::Hup};
        (void)supervisor_->command(random_name(), kCommands[pick(std::size(kCommands))]);
    }

    void exit_random(bool loggers) {
        std::vector<pid_t> candidates;
        for (const pid_t pid : children_.running()) {
            const auto* child = children_.find(pid);
            if (child != nullptr && child->options.cwd.ends_with("/log") == loggers) {
                candidates.push_back(pid);
            }
        }
        if (candidates.empty()) return;
        const pid_t pid = candidates[pick(static_cast<std::uint32_t>(candidates.size()))];
        if (pick(4) == 0) {
            (void)children_.fail_exec(pid, ENOENT);
        } else {
            (void)children_.exit(pid, core::ExitStatus::exited(static_cast<int>(pick(3))));
        }
    }

    void connect_client() {
        if (clients_.size() >= 20) clients_.erase(clients_.begin());
        auto client = Client::connect(socket_);
        if (!client) return;
        control::Request request;
        switch (pick(4)) {
            case 0:
                request.kind = control::RequestKind::Status;
                break;
            case 1:
                request.kind = control::RequestKind::Wait;
                request.target =
                    pick(2) == 0 ? services::WaitTarget::Up : services::WaitTarget::Down;
                request.services = {random_name(), random_name()};
                request.timeout = std::chrono::milliseconds(pick(2) == 0 ? 0 : 1500);
                break;
            case 2:
                request.kind = control::RequestKind::Command;
                request.command = Command::Restart;
                request.services = {random_name()};
                break;
            case 3:
                request.kind = control::RequestKind::Check;
                break;
        }
        if (pick(5) != 0) client->send(request);
        clients_.push_back(std::move(*client));
    }

    void client_acts() {
        if (clients_.empty()) return;
        const std::size_t i = pick(static_cast<std::uint32_t>(clients_.size()));
        if (pick(2) == 0) {
            clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));  // vanishes
        } else {
            clients_[i].drain();
        }
    }

    std::mt19937 rng_;
    std::filesystem::path root_;
    std::string socket_;
    FakeLoop loop_;
    FakeChildren children_{loop_};
    // Declared in dependency order: the keeper and the server observe the supervisor.
    std::optional<services::Supervisor> supervisor_;
    std::unique_ptr<control::ControlServer> server_;
    std::unique_ptr<control::RunitSupervise> keeper_;
    std::vector<Client> clients_;
};

void run_seed(std::uint32_t seed) {
    INFO("seed " << seed << " (replay: SVINIT_LIFETIME_SEED=" << seed << ")");
    svinit::test::TempDir tmp("svinit-lifetime");
    const std::size_t fds_before = open_fds();
    {
        World world(seed, tmp.path);
        for (int i = 0; i < kStepsPerSeed; ++i) world.step();
        world.check_settles();
        world.shutdown();
        world.destroy();
    }
    CHECK(open_fds() == fds_before);
}

}  // namespace

TEST_CASE("random lifetimes: no callback outlives its object, everything settles and stops",
          "[lifetime][random]") {
    if (const char* only = std::getenv("SVINIT_LIFETIME_SEED")) {
        run_seed(static_cast<std::uint32_t>(std::strtoul(only, nullptr, 10)));
        return;
    }
    std::uint32_t seeds = kSeeds;
    if (const char* count = std::getenv("SVINIT_LIFETIME_SEEDS")) {
        seeds = static_cast<std::uint32_t>(std::strtoul(count, nullptr, 10));
    }
    for (std::uint32_t seed = 1; seed <= seeds; ++seed) run_seed(seed);
}
