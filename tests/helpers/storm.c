// storm N EXIT: exits with EXIT in the middle of a storm of N orphans, to check that the main
// command's status is never lost to the reaping of orphans.
//
// Half the storm comes from a spawner process, in bursts of kBurst: a middle process vforks
// kBurst children that exit at once and exits without reaping them, so their zombies go to
// PID 1. Once that is underway, the main process vforks the other half itself, never reaps
// them and exits: its zombie and theirs reach PID 1 at the same moment, while the spawner's
// bursts go on until svinit's sweep kills it.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kBurst = 50 };

// A child that exits at once. The vfork child only calls _exit, the one thing it may do.
__attribute__((noinline)) static pid_t exiting_child(void) {
    pid_t child = vfork();
    if (child == 0) _exit(0);
    return child;
}

static void make_children(long count) {
    for (long i = 0; i < count; ++i) exiting_child();
}

// Makes count orphans in bursts; closes underway once a quarter of them exist.
static void spawn_storm(long count, int underway) {
    for (long made = 0; made < count; made += kBurst) {
        if (made >= count / 4 && underway >= 0) {
            close(underway);
            underway = -1;
        }
        pid_t middle = fork();
        if (middle < 0) break;
        if (middle == 0) {
            make_children(count - made < kBurst ? count - made : kBurst);
            _exit(0);
        }
        while (waitpid(middle, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    _exit(0);
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: storm N EXIT\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    int code = atoi(argv[2]);

    int underway[2];
    if (pipe(underway) != 0) {
        perror("storm: pipe");
        return 1;
    }
    pid_t spawner = fork();
    if (spawner < 0) {
        perror("storm: fork");
        return 1;
    }
    if (spawner == 0) {
        close(underway[0]);
        spawn_storm(n - n / 2, underway[1]);
    }
    close(underway[1]);
    char byte;
    while (read(underway[0], &byte, 1) < 0 && errno == EINTR) {
    }
    make_children(n / 2);
    return code;
}
