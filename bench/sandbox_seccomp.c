// bench/sandbox_seccomp.c: writes a compiled seccomp filter (BPF) to stdout that fails the
// calls named in argv with EPERM and allows every other, for bwrap's --seccomp FD: the same
// deny list svinit's seccomp = "default" uses, so that both load a filter of that size.
#include <seccomp.h>
#include <stdio.h>

int main(int argc, char** argv) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) return 1;
    for (int i = 1; i < argc; ++i) {
        const int nr = seccomp_syscall_resolve_name(argv[i]);
        if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
        if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(1), nr, 0) != 0) {
            fprintf(stderr, "sandbox_seccomp: %s: cannot add\n", argv[i]);
            return 1;
        }
    }
    const int rc = seccomp_export_bpf(ctx, 1);
    seccomp_release(ctx);
    return rc == 0 ? 0 : 1;
}
