#include "sandbox/setup_plan.h"

#include <fmt/format.h>
#include <sys/mount.h>

#include <algorithm>
#include <array>

namespace svinit::sandbox {

namespace {

// runc's default devices, bound from the host's /dev (mknod is refused in a user
// namespace, and a bind works everywhere).
constexpr std::array<std::string_view, 6> kDevices{"null",   "zero",    "full",
                                                   "random", "urandom", "tty"};

struct Planner {
    const SandboxSpec& spec;
    const PlanContext& context;
    std::vector<Step> steps{};

    std::string at(std::string_view inside) const { return join_root(spec.root, inside); }

    void add(Step step) { steps.push_back(std::move(step)); }

    void mount(std::string_view inside, std::string source, std::string fstype, unsigned long flags,
               std::string data, std::string detail) {
        add({StepKind::MakeDirs, at(inside), {}, {}, 0, {}, fmt::format("mkdir({})", inside)});
        add({StepKind::Mount, at(inside), std::move(source), std::move(fstype), flags,
             std::move(data), std::move(detail)});
    }

    void binds() {
        for (const Bind& bind : spec.binds) {
            const bool file =
                std::ranges::find(context.file_sources, bind.source) != context.file_sources.end();
            add({file ? StepKind::MakeFile : StepKind::MakeDirs,
                 at(bind.target),
                 {},
                 {},
                 0,
                 {},
                 fmt::format("mkdir({})", bind.target)});
            add({StepKind::Mount,
                 at(bind.target),
                 bind.source,
                 {},
                 static_cast<unsigned long>(MS_BIND | (bind.recursive ? MS_REC : 0)),
                 {},
                 fmt::format("bind({} -> {})", bind.source, bind.target)});
            if (bind.read_only) {
                add({StepKind::RemountReadOnly,
                     at(bind.target),
                     {},
                     {},
                     0,
                     {},
                     fmt::format("read-only({})", bind.target)});
            }
        }
    }

    void tmpfs() {
        for (const Tmpfs& t : spec.tmpfs) {
            std::string data = fmt::format("mode={:o}", t.mode);
            if (t.size) data += fmt::format(",size={}", *t.size);
            mount(t.target, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV, std::move(data),
                  fmt::format("tmpfs({})", t.target));
        }
    }

    void dev() {
        mount("/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k",
              "tmpfs(/dev)");
        for (std::string_view name : kDevices) {
            const std::string inside = fmt::format("/dev/{}", name);
            add({StepKind::MakeFile, at(inside), {}, {}, 0, {}, fmt::format("mkdir({})", inside)});
            add({StepKind::Mount,
                 at(inside),
                 inside,
                 {},
                 MS_BIND,
                 {},
                 fmt::format("bind({})", inside)});
        }
        // gid=5 (tty) only where it is sure to be mapped.
        std::string pts = "newinstance,ptmxmode=0666,mode=0620";
        if (!spec.has(Namespace::User)) pts += ",gid=5";
        mount("/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC, std::move(pts),
              "devpts(/dev/pts)");
        mount("/dev/shm", "shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k",
              "tmpfs(/dev/shm)");
        const std::array<std::pair<std::string_view, std::string_view>, 5> links{{
            {"pts/ptmx", "/dev/ptmx"},
            {"/proc/self/fd", "/dev/fd"},
            {"/proc/self/fd/0", "/dev/stdin"},
            {"/proc/self/fd/1", "/dev/stdout"},
            {"/proc/self/fd/2", "/dev/stderr"},
        }};
        for (const auto& [target, name] : links) {
            add({StepKind::Symlink,
                 at(name),
                 std::string(target),
                 {},
                 0,
                 {},
                 fmt::format("symlink({})", name)});
        }
    }

    void paths() {
        for (const auto& path : spec.readonly_paths) {
            add({StepKind::ReadOnlyPath,
                 at(path),
                 {},
                 {},
                 0,
                 {},
                 fmt::format("readonly-path({})", path)});
        }
        for (const auto& path : spec.masked_paths) {
            add({StepKind::MaskPath,
                 at(path),
                 "/dev/null",
                 {},
                 0,
                 {},
                 fmt::format("masked-path({})", path)});
        }
    }

    void build() {
        add({StepKind::MakePrivate,
             "/",
             {},
             {},
             MS_REC | MS_PRIVATE,
             {},
             "mount propagation(/ private)"});
        // pivot_root needs the new root to be a mount point.
        add({StepKind::Mount,
             spec.root,
             spec.root,
             {},
             MS_BIND | MS_REC,
             {},
             fmt::format("bind({})", spec.root)});
        binds();
        tmpfs();
        if (spec.proc) {
            mount("/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, {}, "proc(/proc)");
        }
        if (spec.dev) dev();
        paths();
        if (spec.read_only_root) {
            add({StepKind::RemountReadOnly, spec.root, {}, {}, 0, {}, "read-only(/)"});
        }
        if (context.chroot_instead_of_pivot) {
            add({StepKind::ChrootRoot,
                 spec.root,
                 {},
                 {},
                 0,
                 {},
                 fmt::format("chroot({})", spec.root)});
        } else {
            add({StepKind::PivotRoot,
                 spec.root,
                 {},
                 {},
                 0,
                 {},
                 fmt::format("pivot_root({})", spec.root)});
        }
        if (!spec.hostname.empty()) {
            add({StepKind::Hostname,
                 {},
                 spec.hostname,
                 {},
                 0,
                 {},
                 fmt::format("sethostname({})", spec.hostname)});
        }
        if (spec.has(Namespace::Net)) {
            add({StepKind::LoopbackUp, "lo", {}, {}, 0, {}, "loopback up(lo)"});
        }
        add({StepKind::Chdir, context.cwd, {}, {}, 0, {}, fmt::format("chdir({})", context.cwd)});
    }
};

}  // namespace

std::string join_root(std::string_view root, std::string_view inside) {
    std::string path(root);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    while (inside.starts_with('/')) inside.remove_prefix(1);
    if (inside.empty()) return path;
    if (path != "/") path += '/';
    path += inside;
    return path;
}

std::vector<Step> plan_setup(const SandboxSpec& spec, const PlanContext& context) {
    Planner planner{spec, context};
    planner.build();
    return std::move(planner.steps);
}

bool root_is_initramfs(std::string_view mountinfo) {
    bool initramfs = false;
    while (!mountinfo.empty()) {
        const auto end = mountinfo.find('\n');
        std::string_view line = mountinfo.substr(0, end);
        mountinfo.remove_prefix(end == std::string_view::npos ? mountinfo.size() : end + 1);
        // ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE ...; the last "/" mount is on top.
        std::array<std::string_view, 5> fields{};
        std::size_t i = 0;
        std::string_view rest = line;
        for (; i < fields.size(); ++i) {
            const auto space = rest.find(' ');
            if (space == std::string_view::npos) break;
            fields[i] = rest.substr(0, space);
            rest.remove_prefix(space + 1);
        }
        if (i < fields.size() || fields[4] != "/") continue;
        const auto dash = line.find(" - ");
        if (dash == std::string_view::npos) continue;
        initramfs = line.substr(dash + 3).starts_with("rootfs ");
    }
    return initramfs;
}

}  // namespace svinit::sandbox
