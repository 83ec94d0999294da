// numbered COUNT NOTIFY: writes the lines "1" to "COUNT" to stdout as fast as it can, then
// writes "done" to the file (a FIFO) NOTIFY and waits to be killed.
//
// The lines go out in 4 KiB write()s that end anywhere, so a reader on the other side of a
// pipe meets lines cut in two all the time. It never exits by itself: a supervisor would
// restart it, and a second run would write the lines again.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t done = write(fd, data, size);
        if (done < 0 && errno == EINTR) continue;
        if (done < 0) {
            perror("numbered: write");
            exit(1);
        }
        data += done;
        size -= (size_t)done;
    }
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: numbered COUNT NOTIFY\n");
        return 2;
    }
    long count = strtol(argv[1], NULL, 10);
    char buffer[4096];
    size_t used = 0;
    for (long i = 1; i <= count; ++i) {
        char line[32];
        int len = snprintf(line, sizeof line, "%ld\n", i);
        for (int k = 0; k < len; ++k) {
            buffer[used++] = line[k];
            if (used == sizeof buffer) {
                write_all(STDOUT_FILENO, buffer, used);
                used = 0;
            }
        }
    }
    write_all(STDOUT_FILENO, buffer, used);

    int notify = open(argv[2], O_WRONLY | O_CLOEXEC);
    if (notify < 0) {
        fprintf(stderr, "numbered: open %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    write_all(notify, "done\n", 5);
    close(notify);
    for (;;) pause();
}
