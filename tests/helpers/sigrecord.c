// sigrecord NAME [CHILD_NAME [exit]]: records the signals it receives, one line each.
//
// Installs a handler for every catchable signal 1..31 (so TSTP, TTIN and TTOU don't stop it),
// prints "NAME ready", then "NAME SIGNUM" for every signal it receives, and exits 0 after
// SIGTERM (printing its line first). Lines are single write()s, so two recorders can share
// one pipe.
//
// With CHILD_NAME it first forks a second recorder of that name in the same process group
// (for --signal-group), and prints "NAME ready" only once both are ready. With "exit" as well,
// the parent exits 0 right after "ready", leaving the child behind for svinit's sweep.
//
// SIGCHLD is recorded only by a recorder without a child of its own: svinit must never
// forward it, but a parent gets a real one when its child exits.
#define _GNU_SOURCE  // pipe2
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int self_pipe[2];

static void on_signal(int sig) {
    int saved = errno;
    unsigned char byte = (unsigned char)sig;
    (void)!write(self_pipe[1], &byte, 1);
    errno = saved;
}

static void say(const char* name, const char* what) {
    char line[128];
    int len = snprintf(line, sizeof line, "%s %s\n", name, what);
    (void)!write(STDOUT_FILENO, line, (size_t)len);
}

static void install_handlers(int record_chld) {
    if (pipe2(self_pipe, O_CLOEXEC) != 0) {
        perror("sigrecord: pipe");
        _exit(1);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigfillset(&sa.sa_mask);
    for (int sig = 1; sig <= 31; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        if (sig == SIGCHLD && !record_chld) continue;
        if (sigaction(sig, &sa, NULL) != 0) {
            perror("sigrecord: sigaction");
            _exit(1);
        }
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

// Prints one line per received signal; returns after SIGTERM.
static void record(const char* name) {
    for (;;) {
        unsigned char byte;
        ssize_t got = read(self_pipe[0], &byte, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got != 1) _exit(1);
        char number[16];
        snprintf(number, sizeof number, "%d", byte);
        say(name, number);
        if (byte == SIGTERM) return;
    }
}

int main(int argc, char** argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: sigrecord NAME [CHILD_NAME [exit]]\n");
        return 2;
    }
    const char* name = argv[1];
    if (argc >= 3) {
        int ready[2];
        if (pipe(ready) != 0) {
            perror("sigrecord: pipe");
            return 1;
        }
        pid_t child = fork();
        if (child < 0) {
            perror("sigrecord: fork");
            return 1;
        }
        if (child == 0) {
            install_handlers(1);
            close(ready[0]);
            close(ready[1]);
            record(argv[2]);
            return 0;
        }
        close(ready[1]);
        char byte;
        while (read(ready[0], &byte, 1) < 0 && errno == EINTR) {
        }
        close(ready[0]);
        if (argc == 4) {
            say(name, "ready");
            return 0;
        }
        install_handlers(0);
    } else {
        install_handlers(1);
    }
    say(name, "ready");
    record(name);
    return 0;
}
