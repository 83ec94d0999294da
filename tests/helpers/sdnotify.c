// sdnotify MESSAGE [PROGRAM ARGS...]: sends MESSAGE ("READY=1", "STATUS=...") as one
// datagram to $NOTIFY_SOCKET, as sd_notify(3) does ('@' names the abstract namespace), then
// execs PROGRAM when given (so `exec sdnotify READY=1 sleep 9` says it from the service's
// own pid, as a daemon would). Without PROGRAM: exit 0 when sent, 1 otherwise.

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char** argv) {
    const char* path = getenv("NOTIFY_SOCKET");
    if (argc < 2 || path == NULL || path[0] == '\0') {
        fprintf(stderr, "usage: NOTIFY_SOCKET=... sdnotify MESSAGE [PROGRAM ARGS...]\n");
        return 1;
    }
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len >= sizeof(addr.sun_path)) return 1;
    memcpy(addr.sun_path, path, len);
    if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 1;
    socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    if (sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr*)&addr, addr_len) < 0) {
        perror("sdnotify: sendto");
        return 1;
    }
    close(fd);
    if (argc > 2) {
        execvp(argv[2], argv + 2);
        perror("sdnotify: exec");
        return 127;
    }
    return 0;
}
