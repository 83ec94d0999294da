#include "sandbox/child.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/exit_codes.h"
#include "core/spawn.h"

namespace svinit::sandbox {

namespace {

int g_report_fd = -1;
pid_t g_host_pid = 0;  // the init's pid as svinit knows it: the key of every report

[[noreturn]] void fail(const char* detail, int error) noexcept {
    core::write_spawn_failure(g_report_fd, g_host_pid, core::SpawnStage::Sandbox, error, detail);
    _exit(exit_code::kSandboxSetup);
}

[[noreturn]] void fail(const std::string& detail, int error) noexcept {
    fail(detail.c_str(), error);
}

// Closes every fd but those in `keep`: the init never execs, so close-on-exec does not
// protect svinit's own fds (the ring, the control socket, other services' pipes) from it.
void close_other_fds(std::vector<int> keep) noexcept {
    std::ranges::sort(keep);
    unsigned int next = 0;
    for (int fd : keep) {
        if (fd < 0) continue;
        const auto ufd = static_cast<unsigned int>(fd);
        if (ufd > next) ::syscall(SYS_close_range, next, ufd - 1, 0U);
        next = ufd + 1;
    }
    ::syscall(SYS_close_range, next, ~0U, 0U);
}

int make_dirs(const std::string& path) noexcept {
    std::string partial;
    std::size_t at = 0;
    while (at != std::string::npos) {
        at = path.find('/', at + 1);
        partial = path.substr(0, at);
        if (partial.empty()) continue;
        if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return errno;
    }
    return 0;
}

int make_file(const std::string& path) noexcept {
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        if (int e = make_dirs(path.substr(0, slash)); e != 0) return e;
    }
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
    if (fd < 0) return errno == EISDIR ? 0 : errno;
    ::close(fd);
    return 0;
}

// A read-only remount must repeat the flags a less privileged mount namespace may not
// clear (nosuid, nodev, noexec, atime), or the kernel refuses it with EPERM.
int remount_read_only(const std::string& path) noexcept {
    struct statvfs st {};
    if (::statvfs(path.c_str(), &st) != 0) return errno;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
    if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
    if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
    return ::mount(nullptr, path.c_str(), nullptr, flags, nullptr) == 0 ? 0 : errno;
}

int read_only_path(const std::string& path) noexcept {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
    if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return errno;
    return remount_read_only(path);
}

int mask_path(const std::string& path, const std::string& null_device) noexcept {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
    if (S_ISDIR(st.st_mode)) {
        const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        return ::mount("tmpfs", path.c_str(), "tmpfs", flags, "size=0,mode=755") == 0 ? 0 : errno;
    }
    return ::mount(null_device.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0 ? 0 : errno;
}

int enter_root(const std::string& root, bool chroot_instead) noexcept {
    if (::chdir(root.c_str()) != 0) return errno;
    if (chroot_instead) {
        // The initramfs cannot be pivoted away from: move the new root over it, as
        // switch_root does.
        if (::mount(root.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0) return errno;
        if (::chroot(".") != 0) return errno;
        return ::chdir("/") == 0 ? 0 : errno;
    }
    // pivot_root(".", "."): the old root ends up stacked on the new one, and goes.
    if (::syscall(SYS_pivot_root, ".", ".") != 0) return errno;
    if (::umount2(".", MNT_DETACH) != 0) return errno;
    return ::chdir("/") == 0 ? 0 : errno;
}

int loopback_up() noexcept {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    struct ifreq request {};
    std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
    int error = 0;
    if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
        error = errno;
    } else {
        request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
        if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) error = errno;
    }
    ::close(fd);
    return error;
}

int run_step(const Step& step) noexcept {
    switch (step.kind) {
        case StepKind::MakePrivate:
            return ::mount(nullptr, step.path.c_str(), nullptr, step.flags, nullptr) == 0 ? 0
                                                                                          : errno;
        case StepKind::MakeDirs:
            return make_dirs(step.path);
        case StepKind::MakeFile:
            return make_file(step.path);
        case StepKind::Mount:
            return ::mount(step.source.c_str(), step.path.c_str(),
                           step.fstype.empty() ? nullptr : step.fstype.c_str(), step.flags,
                           step.data.empty() ? nullptr : step.data.c_str()) == 0
                       ? 0
                       : errno;
        case StepKind::RemountReadOnly:
            return remount_read_only(step.path);
        case StepKind::Symlink:
            if (::symlink(step.source.c_str(), step.path.c_str()) != 0 && errno != EEXIST)
                return errno;
            return 0;
        case StepKind::ReadOnlyPath:
            return read_only_path(step.path);
        case StepKind::MaskPath:
            return mask_path(step.path, step.source);
        case StepKind::PivotRoot:
            return enter_root(step.path, false);
        case StepKind::ChrootRoot:
            return enter_root(step.path, true);
        case StepKind::Hostname:
            return ::sethostname(step.source.data(), step.source.size()) == 0 ? 0 : errno;
        case StepKind::LoopbackUp:
            return loopback_up();
        case StepKind::Chdir:
            return ::chdir(step.path.c_str()) == 0 ? 0 : errno;
    }
    return EINVAL;
}

bool redirect(int from, int to) noexcept {
    if (from < 0 || from == to) return true;
    return ::dup2(from, to) >= 0;
}

// setgroups, setresgid, setresuid, keeping the permitted capabilities across the switch.
int become(const ChildPlan& plan, const char** what) noexcept {
    if (plan.creds.uid != 0 && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
        *what = "prctl(PR_SET_KEEPCAPS)";
        return errno;
    }
    const gid_t gid = plan.creds.gid;
    if (plan.set_groups && ::setgroups(1, &gid) != 0) {
        *what = "setgroups";
        return errno;
    }
    if (::setresgid(gid, gid, gid) != 0) {
        *what = "setresgid";
        return errno;
    }
    if (::setresuid(plan.creds.uid, plan.creds.uid, plan.creds.uid) != 0) {
        *what = "setresuid";
        return errno;
    }
    return 0;
}

[[noreturn]] void exec_failed(int error) noexcept {
    core::write_spawn_failure(g_report_fd, g_host_pid, core::SpawnStage::Exec, error);
    _exit(core::SpawnFailure{core::SpawnStage::Exec, error}.exit_code());
}

// The worker: the privileges, then seccomp last, then exec.
[[noreturn]] void worker_main(const ChildPlan& plan) noexcept {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
    }
    sigset_t empty;
    sigemptyset(&empty);
    if (::sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) fail("sigprocmask", errno);
    if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        fail("prctl(PR_SET_NO_NEW_PRIVS)", errno);
    }
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we have it.
    if (!plan.no_new_privileges && plan.seccomp) {
        if (int e = plan.seccomp->load(); e != 0) fail("seccomp", e);
    }
    const char* what = "";
    if (int e = drop_bounding(plan.caps, &what); e != 0) fail(what, e);
    if (int e = become(plan, &what); e != 0) fail(what, e);
    if (int e = apply_capabilities(plan.caps, &what); e != 0) fail(what, e);
    if (plan.no_new_privileges && plan.seccomp) {
        if (int e = plan.seccomp->load(); e != 0) fail("seccomp", e);
    }
    // As execvp: the first that runs; ENOENT moves on, another error is remembered.
    int error = ENOENT;
    for (const auto& path : plan.exec_paths) {
        ::execve(path.c_str(), plan.argv, plan.envp);
        if (errno != ENOENT && errno != ENOTDIR) error = errno;
    }
    exec_failed(error);
}

// The init's own privileges: the worker's ids (so it may signal the worker), no
// capabilities, not dumpable (a worker cannot ptrace it to get around seccomp).
void drop_init_privileges(const ChildPlan& plan) noexcept {
    const char* what = "";
    if (int e = drop_bounding(Capabilities{}, &what); e != 0) fail(what, e);
    const gid_t gid = plan.creds.gid;
    if (plan.set_groups && ::setgroups(1, &gid) != 0) fail("init: setgroups", errno);
    if (::setresgid(gid, gid, gid) != 0) fail("init: setresgid", errno);
    if (::setresuid(plan.creds.uid, plan.creds.uid, plan.creds.uid) != 0) {
        fail("init: setresuid", errno);
    }
    if (int e = apply_capabilities(Capabilities{}, &what); e != 0) fail(what, e);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("init: no_new_privs", errno);
    if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) fail("init: prctl(PR_SET_DUMPABLE)", errno);
}

int shell_code(const siginfo_t& info) noexcept {
    if (info.si_code == CLD_EXITED) return info.si_status;
    return exit_code::kSignalBase + info.si_status;
}

// tini's loop without its tick: every catchable signal is blocked (inherited from svinit)
// and taken here one at a time. SIGCHLD reaps everything that exited; the worker's exit
// ends the init, and with it (in a PID namespace) everything left inside.
[[noreturn]] void init_loop(pid_t worker) noexcept {
    sigset_t all;
    sigfillset(&all);
    for (int sig : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS}) {
        sigdelset(&all, sig);
    }
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    while (true) {
        siginfo_t info{};
        const int sig = ::sigwaitinfo(&all, &info);
        if (sig < 0) continue;  // EINTR
        if (sig != SIGCHLD) {
            ::kill(worker, sig);
            continue;
        }
        while (true) {
            siginfo_t reaped{};
            if (::waitid(P_ALL, 0, &reaped, WEXITED | WNOHANG) != 0 || reaped.si_pid == 0) break;
            if (reaped.si_pid == worker) _exit(shell_code(reaped));
        }
    }
}

}  // namespace

void sandbox_child_main(const ChildPlan& plan) noexcept {
    g_report_fd = plan.report_fd;
    // Until the init loop takes them, signals wait (svinit blocks them already; be sure).
    sigset_t all;
    sigfillset(&all);
    ::sigprocmask(SIG_BLOCK, &all, nullptr);
    // The gate: the parent writes the id maps and places us in our cgroups first, then
    // sends our pid as it knows it (getpid() says 1 in a new PID namespace), the key of
    // every report we write.
    pid_t host_pid = 0;
    ssize_t n = 0;
    do {
        n = ::read(plan.gate_fd, &host_pid, sizeof(host_pid));
    } while (n < 0 && errno == EINTR);
    if (n != sizeof(host_pid)) _exit(exit_code::kSandboxSetup);  // the parent gave up and said why
    g_host_pid = host_pid;
    if (!redirect(plan.stdio[0], 0) || !redirect(plan.stdio[1], 1) || !redirect(plan.stdio[2], 2)) {
        fail("dup2(stdio)", errno);
    }
    close_other_fds({0, 1, 2, plan.report_fd});
    // A session of its own: the host's terminal cannot be driven from inside (TIOCSTI).
    if (::setsid() < 0) fail("setsid", errno);
    for (const Step& step : plan.steps) {
        if (int e = run_step(step); e != 0) fail(step.detail, e);
    }
    if (!plan.pid_namespace && ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        fail("prctl(PR_SET_CHILD_SUBREAPER)", errno);
    }
    const pid_t worker = ::fork();
    if (worker < 0) fail("fork(worker)", errno);
    if (worker == 0) worker_main(plan);
    drop_init_privileges(plan);
    // The worker holds the report pipe until its exec; the init's copy goes now.
    ::close(plan.report_fd);
    g_report_fd = -1;
    init_loop(worker);
}

}  // namespace svinit::sandbox
