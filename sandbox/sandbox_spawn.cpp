#include "sandbox/sandbox_spawn.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "core/pidfd.h"
#include "sandbox/child.h"
#include "sandbox/credentials.h"
#include "sandbox/proc_file.h"
#include "sandbox/seccomp_filter.h"
#include "sandbox/setup_plan.h"

extern char** environ;

namespace svinit::sandbox {

namespace {

// The kernel's struct clone_args up to `cgroup` (CLONE_ARGS_SIZE_VER2, Linux 5.7).
struct CloneArgs {
    std::uint64_t flags;
    std::uint64_t pidfd;
    std::uint64_t child_tid;
    std::uint64_t parent_tid;
    std::uint64_t exit_signal;
    std::uint64_t stack;
    std::uint64_t stack_size;
    std::uint64_t tls;
    std::uint64_t set_tid;
    std::uint64_t set_tid_size;
    std::uint64_t cgroup;
};
constexpr std::uint64_t kClonePidfd = 0x00001000;
constexpr std::uint64_t kCloneIntoCgroup = 0x200000000ULL;

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

std::uint64_t namespace_flags(const SandboxSpec& spec) {
    std::uint64_t flags = 0;
    for (Namespace ns : spec.namespaces) flags |= clone_flag(ns);
    return flags;
}

// Where execvp would look, inside the root: argv[0] itself when it has a '/', otherwise
// each PATH directory (the worker's PATH, else svinit's, else the usual one).
std::vector<std::string> exec_paths(const SandboxCommand& command) {
    const std::string& name = command.argv.front();
    if (name.find('/') != std::string::npos) return {name};
    std::string path_env;
    if (command.env) {
        for (const auto& var : *command.env) {
            if (var.starts_with("PATH=")) path_env = var.substr(5);
        }
    } else if (const char* path = std::getenv("PATH")) {
        path_env = path;
    }
    if (path_env.empty()) path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::vector<std::string> paths;
    std::string_view rest = path_env;
    while (true) {
        const auto colon = rest.find(':');
        const auto dir = rest.substr(0, colon);
        paths.push_back(fmt::format("{}/{}", dir.empty() ? "." : dir, name));
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
    }
    return paths;
}

pid_t clone3(std::uint64_t flags, int cgroup_fd, int* pidfd) {
    CloneArgs args{};
    args.flags = flags | kClonePidfd;
    args.pidfd = reinterpret_cast<std::uintptr_t>(pidfd);
    args.exit_signal = SIGCHLD;
    if (cgroup_fd >= 0) {
        args.flags |= kCloneIntoCgroup;
        args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    }
    return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof(args)));
}

// clone(2), fork-like (no new stack), where a seccomp profile refuses clone3 (Docker's
// answers ENOSYS so that glibc falls back): the same flags, the pidfd in parent_tid.
pid_t legacy_clone(std::uint64_t flags, int* pidfd) {
    return static_cast<pid_t>(::syscall(SYS_clone,
                                        static_cast<unsigned long>(flags | kClonePidfd | SIGCHLD),
                                        nullptr, pidfd, nullptr, nullptr));
}

struct Started {
    pid_t pid;
    bool into_cgroup;
};

// Runs `child` in the clone; returns in the parent only.
template <typename Child>
core::Result<Started> start(std::uint64_t flags, int cgroup_fd, int* pidfd, Child child) {
    bool into = cgroup_fd >= 0;
    pid_t pid = clone3(flags, cgroup_fd, pidfd);
    if (pid < 0 && into && errno != ENOSYS) {
        // CLONE_INTO_CGROUP refused (an older kernel, a cgroup it cannot enter directly):
        // the parent writes cgroup.procs before the gate opens instead.
        into = false;
        pid = clone3(flags, -1, pidfd);
    }
    if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
        into = false;
        pid = legacy_clone(flags, pidfd);
    }
    if (pid == 0) child();
    if (pid < 0) {
        const int error = errno;
        if (error == EPERM && (flags & CLONE_NEWUSER) == 0 && ::geteuid() != 0) {
            return core::error(error,
                               "clone (new namespaces need root, or \"user\" in namespaces)");
        }
        return core::error(error, "clone");
    }
    return Started{pid, into};
}

void kill_and_reap(int pidfd) {
    core::pidfd_send_signal(pidfd, SIGKILL);
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &info, WEXITED) !=
               0 &&
           errno == EINTR) {
    }
}

// What the parent does while the child waits at the gate.
core::Result<void> finish_in_parent(const SandboxSpec& spec, pid_t pid, const SandboxCgroup& cgroup,
                                    bool into_cgroup, const std::vector<IdMap>& uid_map,
                                    const std::vector<IdMap>& gid_map) {
    if (spec.has(Namespace::User)) {
        const std::string proc = fmt::format("/proc/{}", pid);
        if (::geteuid() != 0) {
            // An unprivileged gid_map needs setgroups denied first (CVE-2014-8989).
            if (auto r = write_control_file(proc + "/setgroups", "deny"); !r) {
                return core::error(r.error().code, "sandbox setup failed at setgroups(deny)");
            }
        }
        for (const auto& [file, maps] : {std::pair{"uid_map", &uid_map}, {"gid_map", &gid_map}}) {
            const std::string text = map_text(*maps);
            if (auto r = write_control_file(fmt::format("{}/{}", proc, file), text); !r) {
                std::string shown = text;
                if (!shown.empty()) shown.pop_back();
                for (char& c : shown) c = c == '\n' ? ',' : c;
                return core::error(r.error().code,
                                   fmt::format("sandbox setup failed at {}({})", file, shown));
            }
        }
    }
    if (auto r = cgroup.add(pid, !into_cgroup); !r) {
        return core::error(r.error().code,
                           fmt::format("sandbox setup failed at cgroup ({})", r.error().context));
    }
    return {};
}

}  // namespace

SandboxCommand sandbox_command(const core::SpawnOptions& options) {
    SandboxCommand command;
    command.argv = options.argv;
    command.env = options.env;
    command.cwd = options.cwd.empty() ? "/" : options.cwd;
    command.stdin_fd = options.stdin_fd;
    command.stdout_fd = options.stdout_fd;
    command.stderr_fd = options.stderr_fd;
    return command;
}

std::string map_text(const std::vector<IdMap>& maps) {
    std::string text;
    for (const IdMap& m : maps) text += fmt::format("{} {} {}\n", m.inside, m.outside, m.count);
    return text;
}

core::Result<SandboxChild> spawn_sandbox(const SandboxSpec& spec, const SandboxCommand& command,
                                         const CgroupHost& cgroups, std::string_view name,
                                         const core::SpawnReports& reports) {
    if (command.argv.empty()) return core::error(EINVAL, "sandbox: empty command");
    if (auto problems = check(spec); !problems.empty()) {
        return core::error(EINVAL, fmt::format("sandbox: {}", fmt::join(problems, "; ")));
    }
    SandboxChild out;

    // Everything the child walks through is built here, before the clone.
    PlanContext context;
    context.cwd = command.cwd.empty() ? "/" : command.cwd;
    if (auto mountinfo = read_control_file("/proc/self/mountinfo", 4 << 20);
        mountinfo && root_is_initramfs(*mountinfo)) {
        context.chroot_instead_of_pivot = true;
        out.notes.push_back(fmt::format(
            "the host's root is the initramfs, which pivot_root cannot leave: entering {} with "
            "chroot (MS_MOVE) instead; the initramfs stays reachable to a process that can "
            "escape a chroot",
            spec.root));
    }
    for (const Bind& bind : spec.binds) {
        struct stat st {};
        if (::stat(bind.source.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
            context.file_sources.push_back(bind.source);
        }
    }
    auto creds = resolve_credentials(spec.root, spec.user, spec.group);
    if (!creds) return core::error(creds.error().code, "sandbox: " + creds.error().context);
    auto seccomp = SeccompFilter::build(spec.seccomp, spec.no_new_privileges);
    if (!seccomp) return std::unexpected(seccomp.error());

    const bool user_ns = spec.has(Namespace::User);
    const bool rootless = ::geteuid() != 0;
    std::vector<IdMap> uid_map = spec.uid_map;
    std::vector<IdMap> gid_map = spec.gid_map;
    if (user_ns && uid_map.empty()) uid_map.push_back({0, ::geteuid(), 1});
    if (user_ns && gid_map.empty()) gid_map.push_back({0, ::getegid(), 1});

    ChildPlan plan;
    plan.steps = plan_setup(spec, context);
    plan.exec_paths = exec_paths(command);
    auto argv = c_strings(command.argv);
    std::vector<char*> envp_storage;
    plan.argv = argv.data();
    plan.envp = environ;
    if (command.env) {
        envp_storage = c_strings(*command.env);
        plan.envp = envp_storage.data();
    }
    plan.stdio[0] = command.stdin_fd;
    plan.stdio[1] = command.stdout_fd;
    plan.stdio[2] = command.stderr_fd;
    plan.creds = *creds;
    plan.set_groups = !(user_ns && rootless);
    plan.caps = spec.capabilities;
    plan.no_new_privileges = spec.no_new_privileges;
    plan.seccomp = seccomp->empty() ? nullptr : &*seccomp;
    plan.pid_namespace = spec.has(Namespace::Pid);

    auto cgroup = SandboxCgroup::create(cgroups, name, spec.limits);
    if (!cgroup) return std::unexpected(cgroup.error());
    out.cgroup = std::move(*cgroup);
    for (const auto& note : out.cgroup.placement()) out.notes.push_back(note);
    if (!out.cgroup.placed()) {
        out.notes.push_back(
            fmt::format("no cgroup of its own ({} not writable here); stopping it "
                        "relies on its PID namespace",
                        cgroups.v2_dir.empty() ? "no cgroup v2" : cgroups.v2_dir));
    }

    if (!reports.is_open()) return core::error(EBADF, "sandbox: no pipe for setup failures");
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return core::sys_error("pipe2 (sandbox gate)");
    core::UniqueFd gate_read(fds[0]);
    core::UniqueFd gate_write(fds[1]);
    plan.report_fd = reports.write_fd();
    plan.gate_fd = gate_read.get();

    int pidfd = -1;
    auto started = start(namespace_flags(spec), out.cgroup.v2_fd(), &pidfd,
                         [&plan]() noexcept { sandbox_child_main(plan); });
    if (!started) return std::unexpected(started.error());
    core::UniqueFd owned_pidfd(pidfd);
    gate_read.reset();

    if (auto done = finish_in_parent(spec, started->pid, out.cgroup, started->into_cgroup, uid_map,
                                     gid_map);
        !done) {
        kill_and_reap(owned_pidfd.get());
        return std::unexpected(done.error());
    }
    // The gate opens: from here on the child reports through the pipe, keyed by this pid.
    const pid_t host_pid = started->pid;
    if (::write(gate_write.get(), &host_pid, sizeof(host_pid)) != sizeof(host_pid)) {
        const auto err = core::sys_error("sandbox: opening the gate");
        kill_and_reap(owned_pidfd.get());
        return err;
    }
    out.init = core::Child{started->pid, std::move(owned_pidfd)};
    return out;
}

}  // namespace svinit::sandbox
