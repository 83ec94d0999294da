#pragma once
// A sandbox's seccomp filter, built with libseccomp in the parent before clone (it
// allocates and resolves names) and loaded in the worker as its last step before exec.
// Only the native architecture is in the filter: a system call made through another ABI
// (i386's int 0x80 on x86-64, x32) kills the process.

#include <seccomp.h>

#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "sandbox/sandbox_spec.h"

namespace svinit::sandbox {

// Whether libseccomp knows `name` as a system call of the native architecture.
bool is_syscall_name(std::string_view name);

class SeccompFilter {
public:
    SeccompFilter() = default;  // no filter
    SeccompFilter(SeccompFilter&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
    SeccompFilter& operator=(SeccompFilter&& other) noexcept {
        if (this != &other) {
            reset();
            ctx_ = std::exchange(other.ctx_, nullptr);
        }
        return *this;
    }
    SeccompFilter(const SeccompFilter&) = delete;
    SeccompFilter& operator=(const SeccompFilter&) = delete;
    ~SeccompFilter() { reset(); }

    // Off: an empty filter that load() skips. `set_no_new_privs`: whether loading may set
    // no_new_privs itself (otherwise the caller holds CAP_SYS_ADMIN).
    static core::Result<SeccompFilter> build(const SeccompSpec& spec, bool set_no_new_privs);

    bool empty() const noexcept { return ctx_ == nullptr; }
    // In the child: 0, or the errno.
    int load() const noexcept;

private:
    void reset() noexcept;
    scmp_filter_ctx ctx_ = nullptr;
};

}  // namespace svinit::sandbox
