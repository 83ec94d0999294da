// open_listen_socket: the socket file's exact mode and group whatever the umask, the
// refusal of a directory someone else can write, and the symlink race that once let such
// a someone get any file chowned to the control group and made 0660.

#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/listen_socket.h"
#include "temp_tree.h"

using namespace svinit;
using control::open_listen_socket;
using control::remove_socket_file;
using svinit::test::TempDir;

namespace {

constexpr gid_t kNobody = 65534;
constexpr int kBacklog = 8;

struct Umask {
    explicit Umask(mode_t mask) : saved(::umask(mask)) {}
    ~Umask() { ::umask(saved); }
    Umask(const Umask&) = delete;
    Umask& operator=(const Umask&) = delete;
    mode_t saved;
};

struct stat lstat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// Only root can give the socket a group it is not in.
std::optional<gid_t> other_group() {
    if (::geteuid() == 0) return kNobody;
    return std::nullopt;
}

}  // namespace

TEST_CASE("the socket file gets exactly 0600, or 0660 and the group, whatever the umask",
          "[listen_socket]") {
    const mode_t mask = GENERATE(mode_t{0}, mode_t{022}, mode_t{077}, mode_t{0777});
    INFO("umask " << std::oct << mask);
    if (mask == 0777 && ::geteuid() != 0) {
        WARN("not root: no way into directories made under umask 0777");
        return;
    }
    TempDir dir("svinit-listen");
    const std::string run = dir.path.string() + "/run";
    const std::string path = run + "/control.sock";
    Umask umask(mask);

    SECTION("no group") {
        auto s = open_listen_socket(path, std::nullopt, kBacklog);
        INFO((s ? "" : s.error().message()));
        REQUIRE(s);
        const struct stat st = lstat_of(path);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 07777) == 0600);
        CHECK(st.st_uid == ::geteuid());
        CHECK(st.st_dev == s->dev);
        CHECK(st.st_ino == s->ino);
        // The directory it made is 0755, so that group members can reach the socket.
        CHECK((lstat_of(run).st_mode & 07777) == 0755);
        // Nothing left behind but the socket.
        CHECK(entries(run) == std::vector<std::string>{"control.sock"});
    }
    SECTION("a group") {
        const std::optional<gid_t> group = other_group();
        if (!group) {
            WARN("not root: cannot give the socket another group");
            return;
        }
        auto s = open_listen_socket(path, group, kBacklog);
        INFO((s ? "" : s.error().message()));
        REQUIRE(s);
        const struct stat st = lstat_of(path);
        CHECK((st.st_mode & 07777) == 0660);
        CHECK(st.st_gid == *group);
        CHECK(entries(run) == std::vector<std::string>{"control.sock"});
    }
}

TEST_CASE("a socket directory others can write, a sticky one, or a stranger's is refused",
          "[listen_socket]") {
    TempDir dir("svinit-listen");
    const std::string shared = dir.path.string() + "/shared";
    REQUIRE(::mkdir(shared.c_str(), 0700) == 0);
    const std::string path = shared + "/control.sock";
    const std::string prefix = "control socket directory " + shared + ": ";

    auto refused_with = [&](const std::string& why) {
        auto s = open_listen_socket(path, other_group(), kBacklog);
        REQUIRE_FALSE(s);
        INFO(s.error().message());
        CHECK(s.error().message().starts_with(prefix + why));
        CHECK(s.error().message().ends_with(
            "it must be owned by root (or svinit's user) and writable by its owner only"));
        CHECK(entries(shared).empty());
    };

    SECTION("writable by others") {
        REQUIRE(::chmod(shared.c_str(), 0777) == 0);
        refused_with("writable by others (mode 0777)");
    }
    SECTION("writable by its group") {
        REQUIRE(::chmod(shared.c_str(), 0775) == 0);
        refused_with("writable by its group (mode 0775)");
    }
    SECTION("sticky, like /tmp") {
        REQUIRE(::chmod(shared.c_str(), 01777) == 0);
        refused_with("writable by others (mode 1777)");
        REQUIRE(::chmod(shared.c_str(), 01755) == 0);
        refused_with("sticky (mode 1755)");
    }
    SECTION("owned by someone else") {
        if (::geteuid() != 0) {
            WARN("not root: cannot give the directory to another user");
            return;
        }
        REQUIRE(::chown(shared.c_str(), kNobody, kNobody) == 0);
        refused_with("owned by uid 65534");
    }
    SECTION("reached through a symlink: the directory it leads to is checked") {
        REQUIRE(::chmod(shared.c_str(), 0777) == 0);
        const std::string link = dir.path.string() + "/link";
        REQUIRE(::symlink(shared.c_str(), link.c_str()) == 0);
        auto s = open_listen_socket(link + "/control.sock", std::nullopt, kBacklog);
        REQUIRE_FALSE(s);
        CHECK(s.error().message() == "control socket directory " + link +
                                         ": writable by others (mode 0777); it must be owned "
                                         "by root (or svinit's user) and writable by its owner "
                                         "only");
    }
    SECTION("a trusted directory is used") {
        REQUIRE(::chmod(shared.c_str(), 0755) == 0);
        auto s = open_listen_socket(path, std::nullopt, kBacklog);
        INFO((s ? "" : s.error().message()));
        CHECK(s);
    }
}

TEST_CASE("a symlink at the socket's path is left alone, and so is what it points to",
          "[listen_socket]") {
    TempDir dir("svinit-listen");
    const std::string target = dir.path.string() + "/precious";
    std::ofstream(target) << "root's\n";
    REQUIRE(::chmod(target.c_str(), 0644) == 0);
    const std::string path = dir.path.string() + "/control.sock";
    REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);

    auto s = open_listen_socket(path, other_group(), kBacklog);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == EEXIST);
    CHECK(S_ISLNK(lstat_of(path).st_mode));
    const struct stat st = lstat_of(target);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(st.st_gid == ::getegid());
    CHECK(entries(dir.path.string()) == std::vector<std::string>{"control.sock", "precious"});
}

TEST_CASE("a path that bind() could not take is refused before anything is made",
          "[listen_socket]") {
    TempDir dir("svinit-listen");
    // The socket is bound as DIR/.svinit-XXXXXX/s first: DIR may have 90 bytes at most.
    const std::string base = dir.path.string() + "/";
    const std::string deep = base + std::string(90 - base.size() + 1, 'd');
    auto s = open_listen_socket(deep + "/s", std::nullopt, kBacklog);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == ENAMETOOLONG);
    CHECK(s.error().message().starts_with("control socket " + deep +
                                          "/s: directory longer than 90 bytes"));
    CHECK(entries(dir.path.string()).empty());

    const std::string fits = deep.substr(0, 90);
    auto ok = open_listen_socket(fits + "/s", std::nullopt, kBacklog);
    INFO((ok ? "" : ok.error().message()));
    CHECK(ok);
}

namespace {

// What someone who can write the socket's directory would do, as fast as it can: put a
// symlink to `target` at the socket's path (where svinit once chowned and chmodded after
// bind), and swap every private directory svinit makes there for a symlink to `decoy`,
// whose `s` leads to `target` too (the directory goes to `aside`). Inside a private
// directory only root could write, and root needs no race. Raw system calls only: no
// Catch2 off the main thread.
class Attacker {
public:
    Attacker(std::string dir, std::string name, std::string target, std::string decoy,
             std::string aside)
        : dir_(std::move(dir)),
          name_(std::move(name)),
          target_(std::move(target)),
          decoy_(std::move(decoy)),
          aside_(std::move(aside)),
          thread_([this] { run(); }) {}
    ~Attacker() {
        stop_ = true;
        thread_.join();
    }
    Attacker(const Attacker&) = delete;
    Attacker& operator=(const Attacker&) = delete;

private:
    void run() {
        const std::string fresh = dir_ + "/.fresh";
        const std::string path = dir_ + "/" + name_;
        std::vector<std::string> planted;
        int n = 0;
        while (!stop_) {
            struct stat st {};
            if (::lstat(path.c_str(), &st) < 0 || !S_ISLNK(st.st_mode)) {
                ::symlink(target_.c_str(), fresh.c_str());
                ::rename(fresh.c_str(), path.c_str());
            }
            // Last round's symlinks go, so the directory stays small.
            for (const std::string& link : planted) ::unlink(link.c_str());
            planted.clear();
            DIR* d = ::opendir(dir_.c_str());
            if (d == nullptr) continue;
            while (const dirent* e = ::readdir(d)) {
                const std::string entry = e->d_name;
                if (e->d_type != DT_DIR || !entry.starts_with(".svinit-")) continue;
                const std::string full = dir_ + "/" + entry;
                const std::string away = aside_ + "/" + std::to_string(n++);
                if (::rename(full.c_str(), away.c_str()) == 0 &&
                    ::symlink(decoy_.c_str(), full.c_str()) == 0) {
                    planted.push_back(full);
                }
            }
            ::closedir(d);
        }
    }

    std::string dir_, name_, target_, decoy_, aside_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace

TEST_CASE("no symlink swapped in while the socket is made changes another file",
          "[listen_socket]") {
    // On tmpfs, as /run is: ext4 makes each of these thousands of files slower than the last.
    const bool shm = std::filesystem::is_directory("/dev/shm");
    TempDir dir("svinit-listen", shm ? "/dev/shm" : std::filesystem::temp_directory_path());
    const std::string sockets = dir.path.string() + "/sockets";
    REQUIRE(::mkdir(sockets.c_str(), 0755) == 0);
    const std::string target = dir.path.string() + "/precious";
    std::ofstream(target) << "root's\n";
    REQUIRE(::chmod(target.c_str(), 0644) == 0);
    const std::string decoy = dir.path.string() + "/decoy";
    REQUIRE(::mkdir(decoy.c_str(), 0755) == 0);
    REQUIRE(::symlink(target.c_str(), (decoy + "/s").c_str()) == 0);
    const std::string aside = dir.path.string() + "/aside";
    REQUIRE(::mkdir(aside.c_str(), 0700) == 0);
    const struct stat before = lstat_of(target);

    const std::string path = sockets + "/control.sock";
    int opened = 0;
    {
        Attacker attacker(sockets, "control.sock", target, decoy, aside);
        // The old code lost within a few hundred attempts.
        for (int attempt = 0; attempt < 3000; ++attempt) {
            ::unlink(path.c_str());
            auto s = open_listen_socket(path, other_group(), kBacklog);
            if (s) {
                ++opened;
                remove_socket_file(path, *s);
            }
        }
    }
    INFO(opened << " of 3000 attempts opened the socket");
    const struct stat after = lstat_of(target);
    CHECK((after.st_mode & 07777) == (before.st_mode & 07777));
    CHECK(after.st_uid == before.st_uid);
    CHECK(after.st_gid == before.st_gid);
}
