#include "core/spawn.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <optional>

#include "core/exit_codes.h"
#include "core/pidfd.h"

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

// Runs in the child between clone and exec: async-signal-safe calls only.
[[noreturn]] void child_main(const SpawnOptions& options, char* const* argv, char* const* envp,
                             int report_fd) {
    if (options.new_process_group && ::setpgid(0, 0) != 0) {
        child_fail(report_fd, SpawnStage::ProcessGroup);
    }
    // Signals are still blocked here, so SIGTTOU cannot stop us; a tty that is not
    // ours (ENOTTY, ENXIO) is not an error, as in tini.
    if (options.foreground_tty >= 0) ::tcsetpgrp(options.foreground_tty, ::getpgrp());
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) {
        child_fail(report_fd, SpawnStage::Directory);
    }
    if (!redirect(options.stdin_fd, 0) || !redirect(options.stdout_fd, 1) ||
        !redirect(options.stderr_fd, 2)) {
        child_fail(report_fd, SpawnStage::Stdio);
    }
    for (const PassFd& pass : options.pass_fds) {
        // dup2 leaves the copy open across exec; the same number only loses its cloexec.
        const bool ok = pass.source == pass.target ? ::fcntl(pass.target, F_SETFD, 0) == 0
                                                   : ::dup2(pass.source, pass.target) >= 0;
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
    char* const* argv;
    char* const* envp;
    int report_fd;
};

int child_entry(void* arg) {
    const auto* start = static_cast<const ChildStart*>(arg);
    child_main(*start->options, start->argv, start->envp, start->report_fd);
}

// The child's stack while it runs in svinit's memory. One is enough: CLONE_VFORK keeps
// svinit waiting until the child has exec'd or exited, so no two children use it at once.
alignas(64) char g_child_stack[128 * 1024];

// As posix_spawn does: the child borrows svinit's memory (CLONE_VM) on a stack of its own,
// and svinit waits (CLONE_VFORK) until it has exec'd or exited. A spawn then copies no
// page tables, so it costs the same however large svinit has grown (fork's cost grows
// with svinit's memory: 3 ms per service at 9,000 services). Returns the pid, or -1.
pid_t clone_vfork(const ChildStart& start, int* pidfd) {
    return ::clone(child_entry, g_child_stack + sizeof(g_child_stack),
                   CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
                   const_cast<ChildStart*>(&start), pidfd);
}

Result<pid_t> start_child(const SpawnOptions& options, char* const* argv, char* const* envp,
                          int report_fd, int* pidfd) {
    if (!vfork_refused && !kSanitized) {
        const ChildStart start{&options, argv, envp, report_fd};
        const pid_t pid = clone_vfork(start, pidfd);
        if (pid > 0) return pid;
        if (errno != ENOSYS && errno != EPERM && errno != EINVAL) return sys_error("clone");
        vfork_refused = true;
    }
    pid_t pid = ::fork();
    if (pid == 0) child_main(options, argv, envp, report_fd);
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
