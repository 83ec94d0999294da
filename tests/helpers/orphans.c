// orphans N [EXIT]: makes N orphaned zombies for PID 1 to reap, prints "done" once all N have
// exited, then exits with EXIT (default 0).
//
// Each batch goes through a short-lived middle process: it vforks up to kBatch children that
// exit at once, never reaps them, and exits itself, so its zombies are reparented to PID 1.
// vfork, not fork: nothing to copy, so 10,000 take well under a second.
// Every child holds the write end of one pipe until it exits; EOF on the read end means all
// N are dead, which is what lets "done" be printed without a sleep.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kBatch = 500 };

static void fail(const char* what) {
    perror(what);
    exit(1);
}

// A child that exits at once. The vfork child only calls _exit, the one thing it may do.
__attribute__((noinline)) static pid_t exiting_child(void) {
    pid_t child = vfork();
    if (child == 0) _exit(0);
    return child;
}

// The middle process: count children that exit at once, left unreaped.
static void make_batch(long count) {
    for (long i = 0; i < count; ++i) {
        if (exiting_child() < 0) fail("orphans: vfork child");
    }
    _exit(0);
}

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: orphans N [EXIT]\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    int code = argc == 3 ? atoi(argv[2]) : 0;

    int alive[2];
    if (pipe(alive) != 0) fail("orphans: pipe");

    for (long made = 0; made < n; made += kBatch) {
        long count = n - made < kBatch ? n - made : kBatch;
        pid_t middle = fork();
        if (middle < 0) fail("orphans: fork middle");
        if (middle == 0) {
            close(alive[0]);
            make_batch(count);
        }
        int status;
        while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "orphans: a middle process failed\n");
            return 1;
        }
    }

    close(alive[1]);
    char byte;
    while (read(alive[0], &byte, 1) < 0 && errno == EINTR) {
    }
    printf("done\n");
    fflush(stdout);
    return code;
}
