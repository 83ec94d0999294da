#include "sandbox/seccomp_filter.h"

#include <fmt/format.h>

#include <string>

namespace svinit::sandbox {

namespace {

int resolve(const std::string& name) {
    return seccomp_syscall_resolve_name(name.c_str());
}

core::Result<void> add_rule(scmp_filter_ctx ctx, std::uint32_t action, const std::string& name,
                            bool skip_unknown) {
    const int nr = resolve(name);
    if (nr == __NR_SCMP_ERROR || nr < 0) {
        // Built-in names absent on this architecture (vm86 on x86-64, ...) are not errors.
        if (skip_unknown) return {};
        return core::error(EINVAL, fmt::format("seccomp: unknown system call \"{}\"", name));
    }
    // -EEXIST: the name is in the built-in list too.
    if (int rc = seccomp_rule_add(ctx, action, nr, 0); rc < 0 && rc != -EEXIST) {
        return core::error(-rc, fmt::format("seccomp: adding a rule for {}", name));
    }
    return {};
}

}  // namespace

bool is_syscall_name(std::string_view name) {
    const int nr = resolve(std::string(name));
    return nr != __NR_SCMP_ERROR && nr >= 0;
}

void SeccompFilter::reset() noexcept {
    if (ctx_ != nullptr) seccomp_release(ctx_);
    ctx_ = nullptr;
}

core::Result<SeccompFilter> SeccompFilter::build(const SeccompSpec& spec, bool set_no_new_privs) {
    SeccompFilter filter;
    if (spec.mode == SeccompMode::Off) return filter;
    const std::uint32_t refuse = SCMP_ACT_ERRNO(static_cast<std::uint32_t>(spec.errno_value));
    const bool deny = spec.mode == SeccompMode::DenyList;
    filter.ctx_ = seccomp_init(deny ? SCMP_ACT_ALLOW : refuse);
    if (filter.ctx_ == nullptr) return core::error(ENOMEM, "seccomp_init");
    // Another architecture's system calls (a 32-bit ABI beside the native one) kill: a deny
    // list written for one ABI's numbers means nothing for another's.
    if (int rc = seccomp_attr_set(filter.ctx_, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        rc < 0) {
        return core::error(-rc, "seccomp: setting the action for other architectures");
    }
    if (int rc = seccomp_attr_set(filter.ctx_, SCMP_FLTATR_CTL_NNP, set_no_new_privs ? 1 : 0);
        rc < 0) {
        return core::error(-rc, "seccomp: no_new_privs attribute");
    }
    const std::uint32_t action = deny ? refuse : SCMP_ACT_ALLOW;
    if (deny && spec.default_list) {
        for (const auto& name : default_denied_syscalls()) {
            if (auto r = add_rule(filter.ctx_, action, name, true); !r)
                return std::unexpected(r.error());
        }
        if (!spec.allow_io_uring) {
            for (const auto& name : io_uring_syscalls()) {
                if (auto r = add_rule(filter.ctx_, action, name, true); !r) {
                    return std::unexpected(r.error());
                }
            }
        }
    }
    for (const auto& name : spec.syscalls) {
        if (auto r = add_rule(filter.ctx_, action, name, false); !r)
            return std::unexpected(r.error());
    }
    return filter;
}

int SeccompFilter::load() const noexcept {
    if (ctx_ == nullptr) return 0;
    const int rc = seccomp_load(ctx_);
    return rc < 0 ? -rc : 0;
}

}  // namespace svinit::sandbox
