// bench/services_probe.c: the timing and /proc helper of bench/services.sh (built by it into a
// temp dir). Every time is CLOCK_MONOTONIC in nanoseconds, taken in this process, so the cost of
// the shell around it is left out.
//
//   probe stamp FILE CMD [ARGS...]   append "NOW PID" to FILE, then exec CMD (a service's run)
//   probe tree ROOT                  over ROOT and its descendants: supervisor process count,
//                                    their summed VmRSS (kB) and context switches, then the
//                                    count of `sleep` processes; the pids go to stderr
//   probe pss ROOT                   the same walk; prints the supervisor processes' summed Pss
//                                    (kB, /proc/PID/smaps_rollup): shared pages split among
//                                    the processes that map them, so the sum is what they cost
//   probe restarts FILE COUNT [MS]   COUNT times: wait until the service (last line of FILE)
//                                    has run MS ms [1100], SIGKILL it, wait for the next line; prints
//                                    each kill-to-new-start latency in microseconds
//   probe baseline DIR FILE COUNT    the same cycle with this process as the supervisor: a
//                                    bare fork + exec of DIR/run after waitpid
//   probe stop PIDFILE CMD [ARGS...] run CMD (the stop request) and wait until every pid in
//                                    PIDFILE is gone or a zombie; prints the nanoseconds taken
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void nap_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int read_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    // Read to the end: /proc files give at most a page per read, so one read of
    // task/TID/children saw only the first ~4 KiB of pids (682 of 1,000 5-digit ones).
    size_t total = 0;
    while (total < size - 1) {
        ssize_t n = read(fd, buf + total, size - 1 - total);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0) break;
        total += (size_t)n;
    }
    close(fd);
    buf[total] = '\0';
    return (int)total;
}

// Last line of a stamp file: its time and pid; returns the number of lines (0 if none).
static int last_stamp(const char *file, long long *ts, long *pid) {
    static char buf[1 << 16];
    if (read_file(file, buf, sizeof buf) <= 0) return 0;
    int lines = 0;
    char *last = buf;
    for (char *p = buf; *p; ++p)
        if (*p == '\n') {
            ++lines;
            if (p[1]) last = p + 1;
        }
    if (sscanf(last, "%lld %ld", ts, pid) != 2) return 0;
    return lines;
}

// ---- tree
static long sup_count, sleep_count, rss_kb, ctxt, pss_kb;
static int want_pss;  // smaps_rollup walks every mapping: read it only when asked
static FILE *pid_out;

static void visit(long pid) {
    char path[64], buf[8192], comm[64] = "";
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    if (read_file(path, comm, sizeof comm) < 0) return;
    comm[strcspn(comm, "\n")] = '\0';
    fprintf(pid_out, "%ld\n", pid);
    if (strcmp(comm, "sleep") == 0) {
        ++sleep_count;
    } else {
        ++sup_count;
        snprintf(path, sizeof path, "/proc/%ld/status", pid);
        if (read_file(path, buf, sizeof buf) > 0) {
            char *p;
            if ((p = strstr(buf, "VmRSS:"))) rss_kb += strtol(p + 6, NULL, 10);
            if ((p = strstr(buf, "voluntary_ctxt_switches:"))) ctxt += strtol(p + 24, NULL, 10);
            if ((p = strstr(buf, "nonvoluntary_ctxt_switches:"))) ctxt += strtol(p + 27, NULL, 10);
        }
        snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", pid);
        if (want_pss && read_file(path, buf, sizeof buf) > 0) {
            char *p = strstr(buf, "\nPss:");  // not Pss_Anon: and its kin
            if (p) pss_kb += strtol(p + 5, NULL, 10);
        }
    }
    snprintf(path, sizeof path, "/proc/%ld/task", pid);
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        static char kids[1 << 16];
        char kpath[300];
        snprintf(kpath, sizeof kpath, "/proc/%ld/task/%s/children", pid, e->d_name);
        if (read_file(kpath, kids, sizeof kids) <= 0) continue;
        char *copy = strdup(kids), *save = NULL;
        for (char *t = strtok_r(copy, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
            visit(strtol(t, NULL, 10));
        free(copy);
    }
    closedir(d);
}

// ---- restarts and baseline
static long spawn_run(const char *dir) {
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(dir) != 0) _exit(127);
        execl("./run", "./run", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void cycle(const char *file, int count, const char *dir, long min_run_us) {
    long long *lat = calloc((size_t)count, sizeof *lat);
    long long ts = 0;
    long pid = 0;
    int lines = 0;
    long child = dir ? spawn_run(dir) : 0;
    for (long long deadline = now_ns() + 10000000000LL; (lines = last_stamp(file, &ts, &pid)) == 0;) {
        if (now_ns() > deadline) { fprintf(stderr, "probe: no first start in %s\n", file); exit(1); }
        nap_us(1000);
    }
    for (int i = 0; i < count; ++i) {
        long long wake = ts + min_run_us * 1000LL;
        long long t = now_ns();
        if (wake > t) nap_us((long)((wake - t) / 1000));
        long long killed = now_ns();
        kill((pid_t)pid, SIGKILL);
        if (dir) {  // the bare loop: reap, then fork + exec the run script again
            waitpid((pid_t)child, NULL, 0);
            child = spawn_run(dir);
        }
        long long nts = 0;
        long npid = 0;
        long long deadline = now_ns() + 10000000000LL;
        while (last_stamp(file, &nts, &npid) <= lines) {
            if (now_ns() > deadline) { fprintf(stderr, "probe: no restart in %s\n", file); exit(1); }
            nap_us(200);
        }
        lines = last_stamp(file, &nts, &npid);
        lat[i] = (nts - killed) / 1000;
        ts = nts;
        pid = npid;
    }
    if (dir) { kill((pid_t)child, SIGKILL); waitpid((pid_t)child, NULL, 0); }
    for (int i = 0; i < count; ++i) printf("%lld\n", lat[i]);
}

// ---- stop
static int gone(long pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (read_file(path, buf, sizeof buf) <= 0) return 1;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "stamp") == 0) {
        int fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dprintf(fd, "%lld %ld\n", now_ns(), (long)getpid());
            close(fd);
        }
        execvp(argv[3], argv + 3);
        return 127;
    }
    if (argc == 3 && strcmp(argv[1], "tree") == 0) {
        pid_out = stderr;
        visit(strtol(argv[2], NULL, 10));
        printf("%ld %ld %ld %ld\n", sup_count, rss_kb, ctxt, sleep_count);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "pss") == 0) {
        pid_out = fopen("/dev/null", "w");
        if (!pid_out) { perror("/dev/null"); return 1; }
        want_pss = 1;
        visit(strtol(argv[2], NULL, 10));
        printf("%ld\n", pss_kb);
        return 0;
    }
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "restarts") == 0) {
        cycle(argv[2], atoi(argv[3]), NULL, argc == 5 ? atol(argv[4]) * 1000 : 1100000);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "baseline") == 0) {
        cycle(argv[3], atoi(argv[4]), argv[2], 50000);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "stop") == 0) {
        static long pids[1 << 16];
        size_t n = 0;
        FILE *f = fopen(argv[2], "r");
        if (!f) { perror(argv[2]); return 1; }
        while (n < sizeof pids / sizeof *pids && fscanf(f, "%ld", &pids[n]) == 1) ++n;
        fclose(f);
        long long start = now_ns();
        pid_t c = fork();
        if (c == 0) {
            execvp(argv[3], argv + 3);
            _exit(127);
        }
        int reaped = 0;
        for (size_t i = 0; i < n;) {
            if (!reaped && waitpid(c, NULL, WNOHANG) == c) reaped = 1;
            if (gone(pids[i])) { ++i; continue; }
            if (now_ns() - start > 60000000000LL) { fprintf(stderr, "probe: stop timed out\n"); return 1; }
            nap_us(200);
        }
        long long took = now_ns() - start;
        if (!reaped) waitpid(c, NULL, 0);
        printf("%lld\n", took);
        return 0;
    }
    fprintf(stderr, "usage: see bench/services_probe.c\n");
    return 2;
}
