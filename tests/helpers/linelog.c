// linelog FILE: a logger that never loses or cuts a line. It reads stdin one byte at a time
// (so it never holds more than the line it is on) and appends each complete line to FILE
// (O_APPEND) with one write().
//
// SIGTERM stays blocked, so a TERM that arrives mid-line is only noticed once that line is
// written: between lines it looks for a pending TERM, and it waits for the next byte in a
// ppoll that unblocks TERM. Then it exits 0, leaving everything after in the pipe for the
// next logger. (The handler alone would not do: ppoll that finds data ready returns with
// the mask restored and the signal still pending.) At end of file it writes what is left
// and exits 0.
#define _GNU_SOURCE  // ppoll
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t terminated;

static void on_term(int sig) {
    (void)sig;
    terminated = 1;
}

static void write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t done = write(fd, data, size);
        if (done < 0 && errno == EINTR) continue;
        if (done < 0) {
            perror("linelog: write");
            exit(1);
        }
        data += done;
        size -= (size_t)done;
    }
}

// Waits until stdin is readable. With between_lines, a SIGTERM may interrupt the wait, and
// then it returns 0.
static int term_pending(void) {
    sigset_t pending;
    sigpending(&pending);
    return terminated || sigismember(&pending, SIGTERM);
}

static int wait_readable(int between_lines, const sigset_t* open_mask,
                         const sigset_t* closed_mask) {
    for (;;) {
        if (between_lines && term_pending()) return 0;
        struct pollfd fd = {STDIN_FILENO, POLLIN, 0};
        int ready = ppoll(&fd, 1, NULL, between_lines ? open_mask : closed_mask);
        if (ready > 0) return 1;
        if (ready < 0 && errno != EINTR) {
            perror("linelog: ppoll");
            exit(1);
        }
    }
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: linelog FILE\n");
        return 2;
    }
    int out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) {
        fprintf(stderr, "linelog: open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigset_t closed_mask;
    sigemptyset(&closed_mask);
    sigaddset(&closed_mask, SIGTERM);
    sigset_t open_mask;
    sigprocmask(SIG_BLOCK, &closed_mask, &open_mask);
    sigdelset(&open_mask, SIGTERM);

    char line[65536];
    size_t len = 0;
    for (;;) {
        if (!wait_readable(len == 0, &open_mask, &closed_mask)) return 0;
        char byte;
        ssize_t got = read(STDIN_FILENO, &byte, 1);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) {
            perror("linelog: read");
            return 1;
        }
        if (got == 0) {
            write_all(out, line, len);
            return 0;
        }
        line[len++] = byte;
        if (byte == '\n' || len == sizeof line) {
            write_all(out, line, len);
            len = 0;
        }
    }
}
