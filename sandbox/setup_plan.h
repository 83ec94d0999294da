#pragma once
// The filesystem and namespace steps a sandbox's child takes, in order, as plain data built
// in the parent before clone: the child only walks the list (sandbox/child.cpp), and a unit
// test can read the order. Paths are as the child sees them before pivot_root (the root's
// host path joined with the path inside), and each step carries the words a failure report
// shows: "sandbox setup failed at pivot_root(/srv/web/root): Invalid argument".
//
// The order is runc's: mount propagation private, the root bound onto itself, binds, tmpfs,
// /proc, /dev, read-only and masked paths, the root read-only, pivot_root (old root
// unmounted), hostname, lo up, the working directory.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/sandbox_spec.h"

namespace svinit::sandbox {

enum class StepKind {
    MakePrivate,      // mount(NULL, "/", MS_REC|MS_PRIVATE)
    MakeDirs,         // mkdir -p path
    MakeFile,         // mkdir -p dirname(path); create an empty file
    Mount,            // mount(source, path, fstype, flags, data)
    RemountReadOnly,  // MS_REMOUNT|MS_BIND|MS_RDONLY, keeping the mount's other flags
    Symlink,          // symlink(source, path)
    ReadOnlyPath,     // bind path onto itself, then read-only; skipped when missing
    MaskPath,         // a file: /dev/null bound over it; a directory: an empty read-only tmpfs
    PivotRoot,        // chdir(path); pivot_root(".", "."); umount2(".", MNT_DETACH); chdir("/")
    ChrootRoot,       // chdir(path); mount(path, "/", MS_MOVE); chroot("."); chdir("/")
    Hostname,         // sethostname(source)
    LoopbackUp,       // SIOCSIFFLAGS IFF_UP on "lo"
    Chdir,            // chdir(path), inside the new root
};

struct Step {
    StepKind kind;
    std::string path;
    std::string source{};
    std::string fstype{};
    unsigned long flags = 0;
    std::string data{};
    std::string detail{};  // what a failure report names
    bool operator==(const Step&) const = default;
};

struct PlanContext {
    bool chroot_instead_of_pivot = false;  // the host's root is the initramfs
    // Bind sources that are not directories (files, devices, sockets): their targets are
    // made as files. Sources missing here are taken as directories (the bind reports them).
    std::vector<std::string> file_sources;
    std::string cwd = "/";
};

std::vector<Step> plan_setup(const SandboxSpec& spec, const PlanContext& context);

// Whether the mount at "/" is the initramfs ("rootfs"), where pivot_root cannot work.
bool root_is_initramfs(std::string_view mountinfo);

// "/srv/root" + "/data" -> "/srv/root/data"; "/srv/root" + "/" -> "/srv/root".
std::string join_root(std::string_view root, std::string_view inside);

}  // namespace svinit::sandbox
