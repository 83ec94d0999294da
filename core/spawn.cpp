#include "core/spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>

#include "core/exit_codes.h"
#include "core/pidfd.h"
#include "core/spawn_slots.h"

extern char** environ;

namespace svinit::core {
namespace {

// Set once clone has refused CLONE_PIDFD (before Linux 5.2) or a seccomp filter refused
// it, so later spawns go straight to fork.
bool vfork_refused = false;

// Pointers into strings that outlive the spawn: the child may touch only these.
std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// What a failing child writes to SpawnReports' pipe: plain bytes (no pointer crosses it),
// shorter than PIPE_BUF so atomic among the children sharing the pipe.
struct FailureRecord {
    pid_t pid;
    int stage;
    int error;
    char detail[244];
};
static_assert(sizeof(FailureRecord) <= 256);

[[noreturn]] void child_fail(int report_fd, SpawnStage stage) {
    const int error = errno;
    write_spawn_failure(report_fd, ::getpid(), stage, error);
    _exit(SpawnFailure{stage, error}.exit_code());
}

bool redirect(int from, int to) {
    if (from < 0 || from == to) return true;
    return ::dup2(from, to) >= 0;
}

// The soft fd limit children get, when raise_fd_limit() changed ours.
std::optional<struct rlimit> g_child_fd_limit;

// The fds a child works with: the options' own, or their copies in spawn slots.
struct ChildFds {
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    int tty = -1;
    int report = -1;
    std::array<PassFd, SpawnSlots::kCount> pass{};
    std::size_t pass_count = 0;
};

ChildFds fds_of(const SpawnOptions& options, int report_fd) {
    ChildFds fds{options.stdin_fd, options.stdout_fd, options.stderr_fd,
                 options.foreground_tty, report_fd, {}, 0};
    return fds;
}

// Runs in the child between clone and exec: async-signal-safe calls only.
[[noreturn]] void child_main(const SpawnOptions& options, const ChildFds& fds, char* const* argv,
                             char* const* envp) {
    const int report_fd = fds.report;
    if (options.new_process_group && ::setpgid(0, 0) != 0) {
        child_fail(report_fd, SpawnStage::ProcessGroup);
    }
    // Signals are still blocked here, so SIGTTOU cannot stop us; a tty that is not
    // ours (ENOTTY, ENXIO) is not an error, as in tini.
    if (fds.tty >= 0) ::tcsetpgrp(fds.tty, ::getpgrp());
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
        child_fail(report_fd, SpawnStage::Directory);
    }
    if (!redirect(fds.stdin_fd, 0) || !redirect(fds.stdout_fd, 1) ||
        !redirect(fds.stderr_fd, 2)) {
        child_fail(report_fd, SpawnStage::Stdio);
    }
    const std::span<const PassFd> pass =
        fds.pass_count > 0 ? std::span<const PassFd>(fds.pass.data(), fds.pass_count)
                           : std::span<const PassFd>(options.pass_fds);
    for (const PassFd& one : pass) {
        // dup2 leaves the copy open across exec; the same number only loses its cloexec.
        const bool ok = one.source == one.target ? ::fcntl(one.target, F_SETFD, 0) == 0
                                                 : ::dup2(one.source, one.target) >= 0;
        if (!ok) child_fail(report_fd, SpawnStage::Stdio);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (::sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) child_fail(report_fd, SpawnStage::Signals);
    // Lowering a soft limit cannot fail; were it to, the child keeps svinit's.
    if (g_child_fd_limit) ::setrlimit(RLIMIT_NOFILE, &*g_child_fd_limit);
    for (const SpawnLimit& limit : options.limits) {
        const struct rlimit value {limit.soft, limit.hard};
        if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) != 0) {
            child_fail(report_fd, SpawnStage::Limits);
        }
    }
    if (options.umask) ::umask(*options.umask);
    // Groups before the uid: once it is not 0 any more, they cannot be changed.
    // Raw system calls: glibc's wrappers would try to change every thread of svinit too
    // (the child shares svinit's memory, so it looks like one of svinit's threads).
    if (const auto& cred = options.credentials) {
        if (::syscall(SYS_setgroups, cred->groups.size(), cred->groups.data()) != 0 ||
            ::syscall(SYS_setgid, cred->gid) != 0 || ::syscall(SYS_setuid, cred->uid) != 0) {
            child_fail(report_fd, SpawnStage::Credentials);
        }
    }
    ::execve(options.path.c_str(), argv, envp);
    child_fail(report_fd, SpawnStage::Exec);
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // ASan cannot follow a child onto a stack of its own
#elif defined(__has_feature)
constexpr bool kSanitized = __has_feature(address_sanitizer);
#else
constexpr bool kSanitized = false;
#endif

struct ChildStart {
    const SpawnOptions* options;
    ChildFds fds;  // in spawn slots
    int keep_below;  // SpawnSlots::end()
    int lift_to;     // above every pass target, so no copy lands on one
    char* const* argv;
    char* const* envp;
};

// Moves `fd` to a number at or above `floor` (close-on-exec), in the child's own table.
int lift(int fd, int floor) {
    return fd < 0 ? fd : ::fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

int child_entry(void* arg) {
    auto* start = static_cast<ChildStart*>(arg);
    ChildFds& fds = start->fds;
    // A table of the child's own with only the slots (and what lies below them): copying
    // svinit's whole table is what this path avoids. Before Linux 5.9 (no
    // CLOSE_RANGE_UNSHARE), a full copy.
    if (::close_range(static_cast<unsigned>(start->keep_below), ~0U, CLOSE_RANGE_UNSHARE) != 0 &&
        ::unshare(CLONE_FILES) != 0) {
        child_fail(fds.report, SpawnStage::Stdio);
    }
    // The slots are low numbers a pass_fds target may name: lift them above every target
    // first (this is the child's table now). A copy that cannot be made fails the spawn
    // rather than leave the child with svinit's own stdio.
    const auto lift_or_fail = [&](int& fd) {
        if (fd >= 0 && (fd = lift(fd, start->lift_to)) < 0) {
            child_fail(fds.report, SpawnStage::Stdio);
        }
    };
    for (int* fd : {&fds.report, &fds.stdin_fd, &fds.stdout_fd, &fds.stderr_fd, &fds.tty}) {
        lift_or_fail(*fd);
    }
    for (std::size_t i = 0; i < fds.pass_count; ++i) lift_or_fail(fds.pass[i].source);
    child_main(*start->options, fds, start->argv, start->envp);
}

// The child's stack while it runs in svinit's memory. One is enough: CLONE_VFORK keeps
// svinit waiting until the child has exec'd or exited, so no two children use it at once.
alignas(64) char g_child_stack[128 * 1024];

SpawnSlots g_slots;

// The options' fds in spawn slots, for a child that shares svinit's table at first.
std::optional<ChildStart> slotted_start(const SpawnOptions& options, char* const* argv,
                                        char* const* envp, int report_fd) {
    if (options.pass_fds.size() + 5 > SpawnSlots::kCount) return std::nullopt;
    std::array<int, SpawnSlots::kCount> wanted{};
    wanted.fill(-1);
    wanted[0] = options.stdin_fd;
    wanted[1] = options.stdout_fd;
    wanted[2] = options.stderr_fd;
    wanted[3] = options.foreground_tty;
    wanted[4] = report_fd;
    int lift_to = 3;
    for (std::size_t i = 0; i < options.pass_fds.size(); ++i) {
        wanted[5 + i] = options.pass_fds[i].source;
        lift_to = std::max(lift_to, options.pass_fds[i].target + 1);
    }
    auto slots = g_slots.load(wanted);
    if (!slots) return std::nullopt;
    ChildStart start{&options, {}, g_slots.end(), std::max(lift_to, g_slots.end()), argv, envp};
    start.fds = ChildFds{(*slots)[0], (*slots)[1], (*slots)[2], (*slots)[3], (*slots)[4], {}, 0};
    for (std::size_t i = 0; i < options.pass_fds.size(); ++i) {
        start.fds.pass[i] = PassFd{(*slots)[5 + i], options.pass_fds[i].target};
    }
    start.fds.pass_count = options.pass_fds.size();
    return start;
}

// As posix_spawn does: the child borrows svinit's memory (CLONE_VM) on a stack of its own,
// and svinit waits (CLONE_VFORK) until it has exec'd or exited. A spawn then copies no
// page tables, so it costs the same however large svinit has grown (fork's cost grows
// with svinit's memory), and with CLONE_FILES and the spawn slots no fd table either.
// Returns the pid, or -1.
pid_t clone_vfork(ChildStart& start, int* pidfd) {
    return ::clone(child_entry, g_child_stack + sizeof(g_child_stack),
                   CLONE_VM | CLONE_VFORK | CLONE_FILES | CLONE_PIDFD | SIGCHLD, &start, pidfd);
}

Result<pid_t> start_child(const SpawnOptions& options, char* const* argv, char* const* envp,
                          int report_fd, int* pidfd) {
    if (!vfork_refused && !kSanitized) {
        if (auto start = slotted_start(options, argv, envp, report_fd)) {
            const pid_t pid = clone_vfork(*start, pidfd);
            const int err = errno;
            g_slots.clear();
            if (pid > 0) return pid;
            if (err != ENOSYS && err != EPERM && err != EINVAL) return error(err, "clone");
            vfork_refused = true;
        }
    }
    pid_t pid = ::fork();
    if (pid == 0) child_main(options, fds_of(options, report_fd), argv, envp);
    if (pid < 0) return sys_error("fork");
    // No one else waits for our children, so the pid cannot be reused before this.
    *pidfd = pidfd_open(pid);
    if (*pidfd < 0) {
        auto err = sys_error(fmt::format("pidfd_open {}", pid));
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return err;
    }
    return pid;
}

}  // namespace

void write_spawn_failure(int report_fd, pid_t pid, SpawnStage stage, int error,
                         const char* detail) noexcept {
    FailureRecord record{pid, static_cast<int>(stage), error, {}};
    for (std::size_t i = 0; detail != nullptr && detail[i] != '\0' && i + 1 < sizeof(record.detail);
         ++i) {
        record.detail[i] = detail[i];
    }
    // Non-blocking: a full pipe costs the detail (the exit code still tells), never a hang.
    [[maybe_unused]] ssize_t n = ::write(report_fd, &record, sizeof(record));
}

std::string SpawnFailure::describe() const {
    if (stage == SpawnStage::Sandbox) {
        return fmt::format("sandbox setup failed at {}: {}", detail, std::strerror(error));
    }
    const char* what = "exec";
    switch (stage) {
        case SpawnStage::ProcessGroup: what = "setpgid"; break;
        case SpawnStage::Directory: what = "chdir"; break;
        case SpawnStage::Stdio: what = "dup2"; break;
        case SpawnStage::Signals: what = "sigprocmask"; break;
        case SpawnStage::Exec: what = "exec"; break;
        case SpawnStage::Limits: what = "setrlimit"; break;
        case SpawnStage::Credentials: what = "setgroups/setgid/setuid"; break;
        case SpawnStage::Sandbox: break;
    }
    return fmt::format("{}: {}", what, std::strerror(error));
}

int SpawnFailure::exit_code() const noexcept {
    if (stage == SpawnStage::Sandbox) return exit_code::kSandboxSetup;
    return stage == SpawnStage::Exec && (error == ENOENT || error == ENOTDIR) ? 127 : 126;
}

Result<void> SpawnReports::open() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return sys_error("pipe2 (spawn reports)");
    read_.reset(fds[0]);
    write_.reset(fds[1]);
    // Room for many failures between two reap passes; the default size is fine too.
    ::fcntl(fds[1], F_SETPIPE_SZ, 256 * 1024);
    return {};
}

void SpawnReports::collect() {
    FailureRecord records[64];
    while (true) {
        ssize_t n = ::read(read_.get(), records, sizeof(records));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        // Records are written whole (atomic writes), so reads return whole records.
        for (std::size_t i = 0; i < static_cast<std::size_t>(n) / sizeof(FailureRecord); ++i) {
            const FailureRecord& record = records[i];
            SpawnFailure failure{static_cast<SpawnStage>(record.stage), record.error,
                                 std::string(record.detail, ::strnlen(record.detail,
                                                                      sizeof(record.detail)))};
            failures_.insert_or_assign(record.pid, std::move(failure));
        }
    }
}

std::optional<SpawnFailure> SpawnReports::take(pid_t pid) {
    auto node = failures_.extract(pid);
    if (node.empty()) return std::nullopt;
    return node.mapped();
}

Result<Child> spawn(const SpawnOptions& options, const SpawnReports& reports) {
    if (options.argv.empty()) return error(EINVAL, "spawn: empty argv");
    if (!reports.is_open()) return error(EBADF, "spawn: no pipe for exec failures");

    auto argv = c_strings(options.argv);
    std::vector<char*> envp_storage;
    char* const* envp = environ;
    if (options.env) {
        envp_storage = c_strings(*options.env);
        envp = envp_storage.data();
    }

    int pidfd = -1;
    auto pid = start_child(options, argv.data(), envp, reports.write_fd(), &pidfd);
    if (!pid) return std::unexpected(pid.error());
    Child child{*pid, UniqueFd(pidfd)};
    // Also from the parent, so the group exists before anyone signals it.
    if (options.new_process_group) ::setpgid(child.pid, child.pid);
    return child;
}

Result<std::string> resolve_command(std::string_view name, std::string_view path_env) {
    if (name.empty()) return error(ENOENT, "empty command");
    if (name.find('/') != std::string_view::npos) return std::string(name);
    if (path_env.empty()) path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    bool found_unrunnable = false;
    while (true) {
        auto colon = path_env.find(':');
        auto dir = path_env.substr(0, colon);
        std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, name);
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            if (::access(candidate.c_str(), X_OK) == 0) return candidate;
            found_unrunnable = true;
        }
        if (colon == std::string_view::npos) break;
        path_env.remove_prefix(colon + 1);
    }
    if (found_unrunnable) return error(EACCES, fmt::format("{}: found in PATH but not executable", name));
    return error(ENOENT, fmt::format("{}: not found in PATH", name));
}

Result<unsigned long> raise_fd_limit() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return sys_error("getrlimit(RLIMIT_NOFILE)");
    if (limit.rlim_cur >= limit.rlim_max) return static_cast<unsigned long>(limit.rlim_cur);
    struct rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) return sys_error("setrlimit(RLIMIT_NOFILE)");
    g_child_fd_limit = limit;
    return static_cast<unsigned long>(raised.rlim_cur);
}

}  // namespace svinit::core
