// sandbox_probe: what the sandbox tests run inside a sandbox's root. Linked statically, so
// a root of busybox and this file is enough.
//   sandbox_probe call NAME     makes the system call NAME (harmless arguments) and prints
//                               "ok" or its errno's name ("EPERM")
//   sandbox_probe alloc MIB     allocates and touches MIB MiB, then prints "survived"
//   sandbox_probe orphans N     leaves N zombies to be reparented to PID 1, then waits until
//                               /proc shows no zombie: prints "no zombies" (exit 0), or what
//                               is left after 10 s (exit 1)
//   sandbox_probe forks N       forks N children that pause, stopping at the first failure:
//                               prints "started K" and the errno's name when one failed
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int call(const char* name) {
    long rc;
    char buf[256];
    struct utsname uts;  // 390 bytes: buf would overflow
    if (strcmp(name, "unshare") == 0) {
        rc = syscall(SYS_unshare, CLONE_NEWUTS);
    } else if (strcmp(name, "getcwd") == 0) {
        rc = syscall(SYS_getcwd, buf, sizeof buf);
    } else if (strcmp(name, "uname") == 0) {
        rc = syscall(SYS_uname, &uts);
    } else if (strcmp(name, "io_uring_setup") == 0) {
        rc = syscall(SYS_io_uring_setup, 1, NULL);  // EFAULT where it is allowed
    } else if (strcmp(name, "mount") == 0) {
        rc = syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL);
    } else {
        fprintf(stderr, "sandbox_probe: no call %s\n", name);
        return 2;
    }
    if (rc >= 0) {
        puts("ok");
    } else {
        const char* e = strerrorname_np(errno);
        puts(e ? e : "?");
    }
    return 0;
}

static int alloc(long mib) {
    for (long i = 0; i < mib; ++i) {
        char* p = malloc(1 << 20);
        if (!p) {
            puts("malloc failed");
            return 1;
        }
        memset(p, 1, 1 << 20);
    }
    puts("survived");
    return 0;
}

static char state_of(const char* pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE* f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char* close = strrchr(buf, ')');
    return close && close[1] == ' ' ? close[2] : 0;
}

static int zombies(void) {
    int count = 0;
    DIR* dir = opendir("/proc");
    if (!dir) return -1;
    struct dirent* e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        if (state_of(e->d_name) == 'Z') ++count;
    }
    closedir(dir);
    return count;
}

static int orphans(int n) {
    for (int i = 0; i < n; ++i) {
        pid_t child = fork();
        if (child == 0) {
            // The grandchild exits at once; its parent exits too, so it is a zombie whose
            // parent is gone: PID 1 inherits it and must reap it.
            if (fork() == 0) _exit(0);
            _exit(0);
        }
        waitpid(child, NULL, 0);
    }
    // No event says PID 1 reaped them: look at /proc every 5 ms, for at most 10 s.
    for (int tries = 0; tries < 2000; ++tries) {
        if (zombies() == 0) {
            puts("no zombies");
            return 0;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("%d zombies left\n", zombies());
    return 1;
}

// A fork bomb that stops at the first refusal (a shell exits on "can't fork").
static int forks(int n) {
    int started = 0;
    for (; started < n; ++started) {
        pid_t child = fork();
        if (child < 0) break;
        if (child == 0) {
            pause();
            _exit(0);
        }
    }
    printf("started %d\n", started);
    if (started < n) printf("%s\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
    return 0;
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "call") == 0) return call(argv[2]);
    if (argc == 3 && strcmp(argv[1], "alloc") == 0) return alloc(atol(argv[2]));
    if (argc == 3 && strcmp(argv[1], "orphans") == 0) return orphans(atoi(argv[2]));
    if (argc == 3 && strcmp(argv[1], "forks") == 0) return forks(atoi(argv[2]));
    fprintf(stderr, "usage: sandbox_probe call NAME | alloc MIB | orphans N | forks N\n");
    return 2;
}
