// One runit supervise/ directory on a real temporary directory: the files runsv makes, the
// lock, a symlinked supervise/, and control bytes read through the event loop.

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "control/runit_supervise_dir.h"
#include "loop_fixtures.h"
#include "temp_tree.h"

using namespace std::chrono_literals;
using svinit::control::encode_status;
using svinit::control::RunitRecord;
using svinit::control::RunitState;
using svinit::control::SuperviseDir;
using svinit::core::UniqueFd;

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
    std::ifstream file(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

RunitRecord running(std::uint32_t pid) {
    RunitRecord r;
    r.since = std::chrono::system_clock::time_point(1'700'000'000s);
    r.pid = pid;
    r.want_up = true;
    r.state = RunitState::Run;
    return r;
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode;
}

}  // namespace

TEST_CASE("supervise/ has runsv's files, and control bytes arrive", "[runit]") {
    BACKEND_UNDER_TEST();
    svinit::test::TempDir tmp("svinit-supervise");
    const fs::path sup = tmp.path / "supervise";
    std::string got;
    auto dir = SuperviseDir::open(*loop, tmp.path.string(), running(42), [&](char byte) {
        got += byte;
        if (got.size() == 3) loop->stop();
    });
    INFO((dir ? std::string() : dir.error().message()));
    REQUIRE(dir);

    CHECK(S_ISDIR(mode_of(sup)));
    CHECK((mode_of(sup) & 0777) == 0700);
    CHECK(S_ISFIFO(mode_of(sup / "control")));
    CHECK(S_ISFIFO(mode_of(sup / "ok")));
    CHECK(fs::is_regular_file(sup / "lock"));
    CHECK_FALSE(fs::exists(sup / "ok.new"));
    const auto bytes = encode_status(running(42));
    CHECK(read_all(sup / "status") == std::string(bytes.begin(), bytes.end()));
    CHECK(read_all(sup / "stat") == "run\n");
    CHECK(read_all(sup / "pid") == "42\n");

    SECTION("sv's open of ok finds a reader") {
        UniqueFd ok(::open((sup / "ok").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        CHECK(ok.valid());
    }

    SECTION("the lock is held") {
        UniqueFd other(::open((sup / "lock").c_str(), O_WRONLY | O_CLOEXEC));
        REQUIRE(other.valid());
        CHECK(::flock(other.get(), LOCK_EX | LOCK_NB) != 0);
    }

    SECTION("bytes written to control reach the callback, in order") {
        UniqueFd control(::open((sup / "control").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        REQUIRE(control.valid());
        REQUIRE(::write(control.get(), "tcu", 3) == 3);
        control.reset();  // sv closes at once; we must not see end-of-file
        svinit::test::run_guarded(*loop);
        CHECK(got == "tcu");
    }

    SECTION("a new record rewrites the files; the pid file only when the pid changed") {
        RunitRecord down;
        down.since = std::chrono::system_clock::time_point(1'700'000'001s);
        REQUIRE((*dir)->write(down));
        CHECK(read_all(sup / "stat") == "down\n");
        CHECK(read_all(sup / "pid").empty());
        CHECK(read_all(sup / "status")[19] == 0);
    }

    SECTION("closing lets sv see that nobody supervises it") {
        dir->reset();
        UniqueFd ok(::open((sup / "ok").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        CHECK_FALSE(ok.valid());
        CHECK(errno == ENXIO);
    }
}

TEST_CASE("a supervise/ whose lock another process holds is refused", "[runit]") {
    BACKEND_UNDER_TEST();
    svinit::test::TempDir tmp("svinit-supervise");
    fs::create_directory(tmp.path / "supervise");
    UniqueFd runsv(
        ::open((tmp.path / "supervise/lock").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    REQUIRE(runsv.valid());
    REQUIRE(::flock(runsv.get(), LOCK_EX | LOCK_NB) == 0);
    auto dir = SuperviseDir::open(*loop, tmp.path.string(), running(1), [](char) {});
    REQUIRE_FALSE(dir);
    CHECK_THAT(dir.error().message(), Catch::Contains("held by another supervisor"));
    CHECK_FALSE(fs::exists(tmp.path / "supervise/status"));
}

TEST_CASE("a supervise symlink is followed, its missing target made", "[runit]") {
    BACKEND_UNDER_TEST();
    svinit::test::TempDir tmp("svinit-supervise");
    fs::create_directory(tmp.path / "svc");
    // As Debian links /etc/sv/NAME/supervise to /run/runit/supervise/NAME.
    fs::create_directory_symlink("../run/runit/supervise/svc", tmp.path / "svc/supervise");
    auto dir = SuperviseDir::open(*loop, (tmp.path / "svc").string(), running(7), [](char) {});
    INFO((dir ? std::string() : dir.error().message()));
    REQUIRE(dir);
    const fs::path target = tmp.path / "run/runit/supervise/svc";
    CHECK(fs::is_symlink(tmp.path / "svc/supervise"));
    CHECK((mode_of(target) & 0777) == 0700);
    CHECK(read_all(target / "pid") == "7\n");
    CHECK(S_ISFIFO(mode_of(target / "control")));
}

TEST_CASE("a supervise that is a plain file is refused", "[runit]") {
    BACKEND_UNDER_TEST();
    svinit::test::TempDir tmp("svinit-supervise");
    std::ofstream(tmp.path / "supervise") << "not a directory";
    auto dir = SuperviseDir::open(*loop, tmp.path.string(), running(1), [](char) {});
    REQUIRE_FALSE(dir);
    CHECK(dir.error().code == ENOTDIR);
}
