// ignoreterm: leaves behind a process that ignores SIGTERM and sleeps forever, prints
// "ready" and exits 0, so svinit's sweep has to wait out --kill-grace and then SIGKILL it.
//
// The leftover calls setsid(), so only a kill(-1) sweep reaches it, not a signal to the main
// command's process group. It closes a pipe once SIGTERM is ignored; "ready" waits for that,
// otherwise an early sweep could find it still killable by SIGTERM.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    int ready[2];
    if (pipe(ready) != 0) {
        perror("ignoreterm: pipe");
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("ignoreterm: fork");
        return 1;
    }
    if (child == 0) {
        setsid();
        signal(SIGTERM, SIG_IGN);
        close(ready[0]);
        close(ready[1]);
        for (;;) pause();
    }
    close(ready[1]);
    char byte;
    while (read(ready[0], &byte, 1) < 0 && errno == EINTR) {
    }
    printf("ready\n");
    fflush(stdout);
    return 0;
}
