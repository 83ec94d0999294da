// bench/soak_client.c: hostile control clients for bench/soak.sh. Forever (until killed):
// open connections to the socket and misbehave -- send half a line and vanish, send a
// `wait` with no timeout and vanish, send a `wait` and then 64 KiB of junk, stay idle,
// connect and close at once -- keeping at most MAX of them open at a time.
//
//   soak_client SOCKET [MAX]
//
// Its waits name s0100 (a service bench/soak.sh keeps up), so they never end by themselves.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *text, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, text, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w <= 0) return;
        text += w;
        n -= (size_t)w;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: soak_client SOCKET [MAX]\n");
        return 2;
    }
    const int max = argc > 2 ? atoi(argv[2]) : 32;
    int *open_fds = calloc((size_t)max, sizeof *open_fds);
    static char junk[64 * 1024 + 1];
    memset(junk, 'x', sizeof junk);
    srand((unsigned)time(NULL));
    static const char wait_forever[] =
        "{\"v\":1,\"cmd\":\"wait\",\"target\":\"down\",\"services\":[\"s0100\"]}\n";
    for (unsigned long round = 0;; ++round) {
        const int slot = rand() % max;
        if (open_fds[slot] > 0) close(open_fds[slot]);  // a client vanishes
        open_fds[slot] = 0;
        const int fd = connect_to(argv[1]);
        if (fd >= 0) {
            switch (rand() % 5) {
                case 0: send_all(fd, "{\"v\":1,\"cmd\":\"sta", 17); break;  // half a line
                case 1: send_all(fd, wait_forever, sizeof wait_forever - 1); break;
                case 2:
                    send_all(fd, wait_forever, sizeof wait_forever - 1);
                    send_all(fd, junk, sizeof junk);
                    break;
                case 3: break;  // idle
                case 4: close(fd); continue;
            }
            open_fds[slot] = fd;
        }
        usleep(20000);
    }
}
