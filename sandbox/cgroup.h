#pragma once
// Each sandbox's own cgroup. cgroup v2 places it (CLONE_INTO_CGROUP), kills it
// (cgroup.kill) and says when it is empty (cgroup.events); limits go to v2 where its
// controllers are available, and otherwise to the v1 hierarchy of the controller, as on
// hosts that still mount memory, pids and cpu as v1 beside an empty v2 hierarchy. A limit
// that neither can enforce is refused: a sandbox never runs unlimited silently.
//
// Layout: DIR/svinit-sandbox-NAME in each hierarchy used, where DIR is svinit's own cgroup
// there (from /proc/self/cgroup and /proc/self/mountinfo).

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "sandbox/sandbox_spec.h"

namespace svinit::sandbox {

struct CgroupHost {
    std::string v2_dir;  // svinit's own cgroup in the v2 hierarchy; empty: no v2 hierarchy
    std::map<std::string, std::string, std::less<>> v1_dirs;  // controller -> svinit's own dir

    bool operator==(const CgroupHost&) const = default;
};

// Pure: from the text of /proc/self/mountinfo and /proc/self/cgroup.
CgroupHost parse_cgroup_host(std::string_view mountinfo, std::string_view proc_cgroup);
core::Result<CgroupHost> discover_cgroup_host();

// Where each limit is enforced: "v2", "v1", or absent when there is no limit.
enum class CgroupVersion { V1, V2 };

class SandboxCgroup {
public:
    // An unplaced sandbox: no cgroup at all (rootless without delegation, no limits).
    SandboxCgroup() = default;
    SandboxCgroup(SandboxCgroup&& other) noexcept;
    SandboxCgroup& operator=(SandboxCgroup&& other) noexcept;
    SandboxCgroup(const SandboxCgroup&) = delete;
    SandboxCgroup& operator=(const SandboxCgroup&) = delete;
    // Removes the directories that are empty; never blocks.
    ~SandboxCgroup();

    // Creates the cgroup and writes the limits. `name` must be a plain file name.
    static core::Result<SandboxCgroup> create(const CgroupHost& host, std::string_view name,
                                              const Limits& limits);

    bool placed() const noexcept { return !v2_dir_.empty(); }
    const std::string& v2_dir() const noexcept { return v2_dir_; }
    // The v2 directory, for CLONE_INTO_CGROUP; -1 when not placed.
    int v2_fd() const noexcept { return v2_fd_.get(); }
    const Limits& limits() const noexcept { return limits_; }
    // Where each limit went, for the log: "memory-max in cgroup v1 (/sys/fs/cgroup/memory/
    // svinit-sandbox-job): no memory controller in cgroup v2 here".
    const std::vector<std::string>& placement() const noexcept { return placement_; }

    // Writes `pid` to the v1 directories' cgroup.procs, and to v2's too when `v2` (when
    // CLONE_INTO_CGROUP was refused).
    core::Result<void> add(pid_t pid, bool v2) const;
    // SIGKILL to every process in it at once (cgroup.kill; before 5.14, each pid listed).
    core::Result<void> kill() const;
    // cgroup.events' "populated": false once every process has exited.
    core::Result<bool> populated() const;
    std::string events_file() const { return v2_dir_ + "/cgroup.events"; }
    // How many processes the OOM killer has killed in it (memory.events or, on v1,
    // memory.oom_control); 0 without a memory limit.
    std::uint64_t oom_kills() const;
    // What it holds now, for svctl status: "memory 12.4M, 3 procs" (memory where a memory
    // controller counts it); empty when not placed.
    std::string usage() const;
    // rmdir in every hierarchy; the error of the first that failed (EBUSY: not empty).
    core::Result<void> remove();

private:
    std::string v2_dir_;
    core::UniqueFd v2_fd_;
    std::vector<std::string> v1_dirs_;  // each once
    std::string memory_dir_;            // where memory.* lives, when limited
    CgroupVersion memory_version_ = CgroupVersion::V2;
    Limits limits_;
    std::vector<std::string> placement_;
};

// weight (v2, 1..10000) -> shares (v1, 2..262144), the conversion runc and systemd use.
std::uint64_t cpu_weight_to_shares(std::uint32_t weight);

}  // namespace svinit::sandbox
