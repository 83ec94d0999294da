/* Runs a command under a seccomp filter that refuses io_uring_setup with EPERM, as the
 * default seccomp profiles of Docker, containerd and Podman do; everything else is
 * allowed. test-roots.sh boots the images' root filesystems under it, so svinit meets
 * what it meets in a container and must fall back to epoll.
 *   no_io_uring COMMAND [ARG...]
 * Static (built with SVINIT_STATIC), so it also runs in a root without a C library.
 * Only this architecture's system call numbers are checked: svinit is built for it. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "no_io_uring: add this architecture's AUDIT_ARCH_ value"
#endif

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: no_io_uring COMMAND [ARG...]\n");
        return 2;
    }
    struct sock_filter filter[] = {
        /* Another architecture's calls (an i386 binary) are not this test's concern. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    const struct sock_fprog program = {
        .len = (unsigned short)(sizeof(filter) / sizeof(filter[0])),
        .filter = filter,
    };
    /* Docker installs its profile with CAP_SYS_ADMIN and without no_new_privs (setuid
     * programs keep working in the container): do the same, and fall back to
     * no_new_privs only where the filter needs it (no CAP_SYS_ADMIN). */
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) < 0) {
        if (errno != EACCES || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) < 0) {
            fprintf(stderr, "no_io_uring: cannot install the seccomp filter: %s\n",
                    strerror(errno));
            return 77;
        }
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "no_io_uring: cannot execute %s: %s\n", argv[1], strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
