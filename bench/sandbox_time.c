// bench/sandbox_time.c: runs one sandbox command (argv) whose worker is sandbox_stamp, and
// prints "START_US TOTAL_US": from just before the spawn to the worker's first instruction,
// and to the sandbox command's exit. Exits 1, saying why, when no stamp came or the command
// failed.
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static unsigned long long now_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sandbox_time COMMAND [ARGS...]\n");
        return 2;
    }
    int out[2];
    if (pipe(out) != 0) return perror("pipe"), 1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    const unsigned long long start = now_ns();
    pid_t pid;
    int err = posix_spawnp(&pid, argv[1], &actions, NULL, argv + 1, environ);
    if (err != 0) {
        fprintf(stderr, "sandbox_time: %s: %s\n", argv[1], strerror(err));
        return 1;
    }
    close(out[1]);
    char text[4096];
    size_t used = 0;
    ssize_t got;
    while (used < sizeof text - 1 && (got = read(out[0], text + used, sizeof text - 1 - used)) != 0) {
        if (got < 0) {
            if (errno == EINTR) continue;
            break;
        }
        used += (size_t)got;
    }
    text[used] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const unsigned long long end = now_ns();
    const unsigned long long stamp = strtoull(text, NULL, 10);
    if (stamp < start || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sandbox_time: %s: no stamp or a failure (status %d, output '%s')\n",
                argv[1], status, text);
        return 1;
    }
    printf("%llu %llu\n", (stamp - start) / 1000, (end - start) / 1000);
    return 0;
}
