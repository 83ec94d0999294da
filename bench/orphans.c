// orphans N: the main command of bench/pid1.sh's reaping workload. Makes N orphaned zombies for
// PID 1 to reap, waits until PID 1 has reaped every one, and prints one line:
//   <us from the first fork to none left> <us from the reparenting to none left> <PID 1's VmHWM kB>
//
// One middle process vforks N children that _exit at once and never reaps them; when the middle
// exits, all N are reparented to PID 1 in one storm. vfork, not fork: nothing to copy, so the
// creation phase stays short and the same for every init.
//
// "None left": the middle writes each child's pid to a shared array, and this process waits
// until kill(pid, 0) fails with ESRCH for every one of them. A zombie can still be signalled;
// only reaping frees its pid, and nothing else forks in the namespace meanwhile, so no pid is
// reused. That costs one cheap system call per poll, where rescanning /proc for zombies would
// instantiate a dentry per pid and compete with the init being measured. Once the clock has
// stopped, one scan of /proc checks that no process but PID 1 and this one is left.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kTimeoutSeconds = 60 };

static void fail(const char* what) {
    perror(what);
    exit(1);
}

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

// A child that exits at once. The vfork child only calls _exit, the one thing it may do.
__attribute__((noinline)) static pid_t exiting_child(void) {
    pid_t child = vfork();
    if (child == 0) _exit(0);
    return child;
}

// Whether /proc lists any process besides PID 1 and this one.
static int others_left(pid_t self) {
    DIR* proc = opendir("/proc");
    if (proc == NULL) fail("orphans: opendir /proc");
    int found = 0;
    struct dirent* entry;
    while (!found && (entry = readdir(proc)) != NULL) {
        char* end;
        long pid = strtol(entry->d_name, &end, 10);
        found = *end == '\0' && pid > 1 && pid != self;
    }
    closedir(proc);
    return found;
}

static long vm_hwm_kb(void) {
    FILE* status = fopen("/proc/1/status", "re");
    if (status == NULL) return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, status) != NULL) {
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
    }
    fclose(status);
    return kb;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: orphans N\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    pid_t self = getpid();
    if (n <= 0 || self == 1) {
        fprintf(stderr, "orphans: needs N > 0, and an init as PID 1\n");
        return 2;
    }
    pid_t* pids = mmap(NULL, (size_t)n * sizeof(pid_t), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (pids == MAP_FAILED) fail("orphans: mmap");

    long long start = now_us();
    pid_t middle = fork();
    if (middle < 0) fail("orphans: fork middle");
    if (middle == 0) {
        for (long i = 0; i < n; ++i) {
            pids[i] = exiting_child();
            if (pids[i] < 0) fail("orphans: vfork");
        }
        _exit(0);
    }
    int status;
    while (waitpid(middle, &status, 0) < 0) {
        if (errno != EINTR) fail("orphans: waitpid middle");
    }
    // exit_notify reparents the middle's children before the middle becomes waitable.
    long long reparented = now_us();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "orphans: the middle process failed\n");
        return 1;
    }

    long long deadline = start + (long long)kTimeoutSeconds * 1000000;
    for (long i = 0; i < n; ++i) {
        while (kill(pids[i], 0) == 0 || errno != ESRCH) {
            if (now_us() > deadline) {
                fprintf(stderr, "orphans: pid %d not reaped after %d s\n", pids[i], kTimeoutSeconds);
                return 1;
            }
        }
    }
    long long done = now_us();
    if (others_left(self)) {
        fprintf(stderr, "orphans: a process besides PID 1 and me is still in /proc\n");
        return 1;
    }
    printf("%lld %lld %ld\n", done - start, done - reparented, vm_hwm_kb());
    return 0;
}
