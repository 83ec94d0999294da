// nozombies [TIMEOUT_MS]: run inside the test's PID namespace after `orphans`. Waits until
// /proc shows no process other than PID 1 and itself (so in particular no zombie), then
// prints "no zombies" and exits 0. After TIMEOUT_MS (default 10000) it prints what is left
// and exits 1.
//
// No event tells another process that PID 1 reaped someone, so this one polls /proc every
// 5 ms; it measures the end state, the test itself never sleeps.
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

// The state letter from /proc/PID/stat: the field after the last ')', as comm may hold one.
static char state_of(const char* pid) {
    char path[64];
    char buf[512];
    snprintf(path, sizeof path, "/proc/%s/stat", pid);
    FILE* f = fopen(path, "r");
    if (!f) return '?';  // gone between readdir and fopen
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char* paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' ? paren[2] : '?';
}

// Counts processes other than PID 1 and this one; prints them when verbose.
static int others(int verbose) {
    char self[32];
    snprintf(self, sizeof self, "%d", (int)getpid());
    DIR* proc = opendir("/proc");
    if (!proc) {
        perror("nozombies: /proc");
        exit(1);
    }
    int count = 0;
    int zombies = 0;
    struct dirent* entry;
    while ((entry = readdir(proc)) != NULL) {
        const char* name = entry->d_name;
        if (name[0] < '1' || name[0] > '9') continue;
        if (strcmp(name, "1") == 0 || strcmp(name, self) == 0) continue;
        char state = state_of(name);
        if (state == '?') continue;
        ++count;
        if (state == 'Z') ++zombies;
        if (verbose && count <= 20) fprintf(stderr, "nozombies: pid %s state %c\n", name, state);
    }
    closedir(proc);
    if (verbose) {
        fprintf(stderr, "nozombies: %d processes left, %d of them zombies\n", count, zombies);
    }
    return count;
}

int main(int argc, char** argv) {
    long timeout_ms = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (others(0) == 0) {
            printf("no zombies\n");
            return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms =
            (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms > timeout_ms) {
            others(1);
            printf("zombies left\n");
            return 1;
        }
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}
