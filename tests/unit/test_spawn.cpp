#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "core/child_reaper.h"
#include "core/event_loop.h"
#include "core/pidfd.h"
#include "core/signal_fd.h"
#include "core/spawn.h"

using namespace svinit::core;

namespace {

// The failure pipe these tests' children share, as the reaper's do.
SpawnReports& reports() {
    static SpawnReports shared;
    if (!shared.is_open()) REQUIRE(shared.open());
    return shared;
}

Result<Child> spawn(const SpawnOptions& options) {
    return svinit::core::spawn(options, reports());
}

// Once the child has exited: why it did not reach exec, if it did not.
std::optional<SpawnFailure> failure_of(const Child& child) {
    reports().collect();
    return reports().take(child.pid);
}

// Waits for the child through its pidfd, as the reaper would.
siginfo_t wait_child(const Child& child) {
    siginfo_t info{};
    REQUIRE(::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(child.pidfd.get()), &info,
                     WEXITED) == 0);
    return info;
}

SpawnOptions shell(const std::string& script) {
    SpawnOptions options;
    options.path = "/bin/sh";
    options.argv = {"sh", "-c", script};
    return options;
}

// Everything that comes through `fd` until EOF.
std::string read_all(int fd) {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
}

// Runs a shell script with stdout on a pipe and returns what it printed. EOF comes only
// once no copy of the write end is left open, in the child or in svinit.
std::string output_of(SpawnOptions options) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    options.stdout_fd = write_end.get();
    auto child = spawn(options);
    REQUIRE(child);
    write_end.reset();
    std::string out = read_all(read_end.get());
    wait_child(*child);
    return out;
}

std::string temp_dir() {
    char pattern[] = "/tmp/svinit-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    return pattern;
}

}  // namespace

TEST_CASE("spawn runs the program and reports its exit through the pidfd", "[spawn]") {
    auto child = spawn(shell("exit 3"));
    REQUIRE(child);
    CHECK(child->pidfd.valid());
    auto info = wait_child(*child);
    CHECK(info.si_code == CLD_EXITED);
    CHECK(info.si_status == 3);
    CHECK_FALSE(failure_of(*child));
}

TEST_CASE("a missing program is reported as exec ENOENT with code 127", "[spawn]") {
    SpawnOptions options;
    options.path = "/nonexistent/program";
    options.argv = {"program"};
    auto child = spawn(options);
    REQUIRE(child);
    auto info = wait_child(*child);
    CHECK(info.si_status == 127);
    auto failure = failure_of(*child);
    REQUIRE(failure);
    CHECK(failure->stage == SpawnStage::Exec);
    CHECK(failure->error == ENOENT);
    CHECK(failure->describe() == "exec: No such file or directory");
}

TEST_CASE("a file that is not executable gives code 126", "[spawn]") {
    std::string dir = temp_dir();
    std::string file = dir + "/data";
    std::ofstream(file) << "not a program\n";
    SpawnOptions options;
    options.path = file;
    options.argv = {"data"};
    auto child = spawn(options);
    REQUIRE(child);
    CHECK(wait_child(*child).si_status == 126);
    auto failure = failure_of(*child);
    REQUIRE(failure);
    CHECK(failure->error == EACCES);
    CHECK(failure->exit_code() == 126);
}

TEST_CASE("a failure before exec names its stage", "[spawn]") {
    auto options = shell("exit 0");
    options.cwd = "/nonexistent/dir";
    auto child = spawn(options);
    REQUIRE(child);
    wait_child(*child);
    auto failure = failure_of(*child);
    REQUIRE(failure);
    CHECK(failure->stage == SpawnStage::Directory);
    CHECK(failure->describe() == "chdir: No such file or directory");
}

TEST_CASE("a report carries its detail and is kept apart by pid (a sandbox's setup step)",
          "[spawn][sandbox]") {
    SpawnReports pipe;
    REQUIRE(pipe.open());
    const std::string long_detail(1000, 'x');
    write_spawn_failure(pipe.write_fd(), 4001, SpawnStage::Sandbox, EINVAL,
                        "pivot_root(/srv/web/root)");
    write_spawn_failure(pipe.write_fd(), 4002, SpawnStage::Sandbox, ENOENT, long_detail.c_str());
    pipe.collect();
    const auto first = pipe.take(4001);
    REQUIRE(first);
    CHECK(first->describe() == "sandbox setup failed at pivot_root(/srv/web/root): Invalid argument");
    CHECK(first->exit_code() == 125);
    const auto second = pipe.take(4002);
    REQUIRE(second);
    CHECK(second->error == ENOENT);
    CHECK_FALSE(second->detail.empty());
    CHECK(second->detail.size() < long_detail.size());  // cut to fit the record
    CHECK_FALSE(pipe.take(4001));
}

TEST_CASE("the child gets an empty signal mask and default dispositions", "[spawn]") {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGUSR1);
    REQUIRE(::sigprocmask(SIG_BLOCK, &block, &old) == 0);
    ::signal(SIGUSR2, SIG_IGN);
    auto out = output_of(shell("grep -E '^Sig(Blk|Ign)' /proc/self/status"));
    ::signal(SIGUSR2, SIG_DFL);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    CHECK(out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("the child leads its own process group, with the given cwd and env", "[spawn]") {
    auto options = shell("echo $$ $(cut -d' ' -f5 /proc/$$/stat) $(pwd) $GREETING");
    options.cwd = std::string("/");  // `= "/"` trips GCC 12's bogus -Wrestrict at -O3 (PR 105329)
    options.env = std::vector<std::string>{"GREETING=hello world", "PATH=/usr/bin:/bin"};
    auto out = output_of(options);
    auto space = out.find(' ');
    std::string pid = out.substr(0, space);
    CHECK(out == pid + " " + pid + " / hello world\n");
}

TEST_CASE("resolve_command searches PATH like execvp, without a shell", "[spawn]") {
    CHECK(resolve_command("sh", "/nonexistent:/bin").value() == "/bin/sh");
    CHECK(resolve_command("./relative", "/bin").value() == "./relative");
    CHECK(resolve_command("no-such-program-xyz", "/bin").error().code == ENOENT);

    std::string dir = temp_dir();
    std::ofstream(dir + "/tool") << "#!/bin/sh\n";
    ::chmod((dir + "/tool").c_str(), 0644);
    auto unrunnable = resolve_command("tool", dir);
    REQUIRE_FALSE(unrunnable);
    CHECK(unrunnable.error().code == EACCES);
    CHECK(unrunnable.error().context == "tool: found in PATH but not executable");
}

TEST_CASE("the reaper hands tracked exits to their owner and reaps orphans", "[spawn][reaper]") {
    // Orphans of this test process must come back to it, as they would to PID 1.
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
    auto loop = make_epoll_loop();
    REQUIRE(loop);
    ChildReaper reaper(**loop);

    // The tracked child leaves 50 orphans and exits 7 while they die around it.
    auto child = svinit::core::spawn(
        shell("i=0; while [ $i -lt 50 ]; do (exit 0 &); i=$((i+1)); done; exit 7"),
        *reaper.reports());
    REQUIRE(child);
    pid_t pid = child->pid;
    std::optional<ChildExit> seen;
    auto tracked = reaper.track(std::move(*child), [&](const ChildExit& exit) { seen = exit; });
    REQUIRE(tracked);
    CHECK(reaper.is_tracked(pid));
    auto listener = reaper.on_no_children([&] { (*loop)->stop(); });
    // Orphans are reaped on SIGCHLD, through a signalfd as in svinit.
    sigset_t chld, old_mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, nullptr, &old_mask);
    auto signals = SignalFd::open(chld);
    REQUIRE(signals);
    auto watch = (*loop)->watch_readable(signals->fd(), [&] {
        REQUIRE(signals->read_pending());
        reaper.reap_all();
    });
    REQUIRE(watch);
    // A guard, so a broken reaper fails instead of hanging.
    auto guard = (*loop)->add_timer(std::chrono::seconds(10), false, [&] { (*loop)->stop(); });
    REQUIRE(guard);
    REQUIRE((*loop)->run());

    REQUIRE(seen);
    CHECK(seen->pid == pid);
    CHECK(seen->status == ExitStatus::exited(7));
    CHECK_FALSE(reaper.has_children());
    CHECK(reaper.tracked_count() == 0);
    CHECK(reaper.orphans_reaped() >= 1);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST_CASE("signals reach a tracked child through its pidfd", "[spawn][reaper]") {
    auto loop = make_epoll_loop();
    REQUIRE(loop);
    ChildReaper reaper(**loop);
    auto child = svinit::core::spawn(shell("exec sleep 30"), *reaper.reports());
    REQUIRE(child);
    pid_t pid = child->pid;
    std::optional<ChildExit> seen;
    auto tracked = reaper.track(std::move(*child), [&](const ChildExit& exit) {
        seen = exit;
        (*loop)->stop();
    });
    REQUIRE(tracked);
    REQUIRE(reaper.signal(tracked->id(), SIGUSR1));
    CHECK(reaper.signal(ChildToken{pid + 100000, 1}, SIGUSR1).error().code == ESRCH);
    // A token whose serial is not the tracked child's is stale: never signalled.
    CHECK(reaper.signal(ChildToken{pid, tracked->id().serial + 1}, SIGUSR1).error().code == ESRCH);
    auto guard = (*loop)->add_timer(std::chrono::seconds(10), false, [&] { (*loop)->stop(); });
    REQUIRE(guard);
    REQUIRE((*loop)->run());
    REQUIRE(seen);
    CHECK(seen->status == ExitStatus::signaled(SIGUSR1));
}

TEST_CASE("svinit raises its own fd limit; children keep the one it was given", "[spawn]") {
    struct rlimit limit {};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_max <= 512) {
        WARN("the hard fd limit is too low to see a difference; not tested");
        return;
    }
    struct rlimit lowered = limit;
    lowered.rlim_cur = 512;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);

    auto raised = raise_fd_limit();
    REQUIRE(raised);
    CHECK(*raised == limit.rlim_max);
    struct rlimit now {};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == limit.rlim_max);
    CHECK(output_of(shell("ulimit -n")) == "512\n");
}

TEST_CASE("a child gets its own fds only, a passed fd at a low target, and no copy outlives it",
          "[spawn]") {
    // Many fds of ours, as a supervisor of many services holds: none may reach the child.
    std::vector<UniqueFd> ours;
    for (int i = 0; i < 200; ++i) ours.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    UniqueFd passed_read(fds[0]), passed_write(fds[1]);
    SpawnOptions options = shell("echo via-3 >&3; ls /proc/self/fd | tr '\\n' ' '");
    // Target 3 is a low number, where spawn slots may live: the slot must not clobber it.
    options.pass_fds.push_back(PassFd{passed_write.get(), 3});
    options.stdin_fd = ours.front().get();
    const std::string listed = output_of(options);
    passed_write.reset();
    // 0, 1, 2, 3, the one ls opens to read the directory, and whatever this test process
    // inherited without close-on-exec (a shell's fd): none of ours.
    std::istringstream numbers(listed);
    int fd = -1;
    bool saw_3 = false;
    while (numbers >> fd) {
        saw_3 = saw_3 || fd == 3;
        const bool inherited = fd > 4 && ::fcntl(fd, F_GETFD) == 0;
        INFO("fd " << fd << " in the child");
        CHECK((fd <= 4 || inherited));
    }
    CHECK(saw_3);
    // EOF here too: no spawn slot keeps the passed pipe open.
    CHECK(read_all(passed_read.get()) == "via-3\n");
}
