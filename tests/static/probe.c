/* The one program of the scratch-root test besides svinit and svctl: static, so the root
 * needs no C library and no shell. What it does depends on how it is called:
 *   .../run           a service: says so, waits for SIGTERM, says so, exits 0
 *   probe id          prints its uid, gid and groups (setuser's result)
 *   probe main        svinit's main command: drives svctl and setuser, exits 0 when all
 *                     of it worked (the test checks svinit's exit status and the lines)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static int serve(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    char cwd[256] = "?";
    if (getcwd(cwd, sizeof(cwd)) == NULL) strcpy(cwd, "?");
    const char* name = strrchr(cwd, '/') ? strrchr(cwd, '/') + 1 : cwd;
    printf("probe: %s serving\n", name);
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    printf("probe: %s got SIGTERM\n", name);
    return 0;
}

static int print_id(void) {
    gid_t groups[64];
    const int count = getgroups(64, groups);
    printf("probe: uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
    for (int i = 0; i < count; ++i) printf(i ? ",%u" : "%u", (unsigned)groups[i]);
    printf("\n");
    return 0;
}

/* Runs argv to its end; its exit status, or -1. */
static int run(char* const argv[]) {
    const pid_t pid = fork();
    if (pid == 0) {
        execve(argv[0], argv, environ);
        fprintf(stderr, "probe: cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int drive(void) {
    char* wait_up[] = {"/usr/bin/svctl", "wait", "up", "hello", "--timeout", "10", NULL};
    char* status[] = {"/usr/bin/svctl", "status", NULL};
    char* sv_status[] = {"/usr/bin/sv", "status", "hello", NULL};
    char* setuser[] = {"/usr/bin/setuser", "app", "/bin/probe", "id", NULL};
    char* const* steps[] = {wait_up, status, sv_status, setuser};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); ++i) {
        fflush(stdout);
        const int rc = run(steps[i]);
        if (rc != 0) {
            printf("probe: %s %s exited with %d\n", steps[i][0], steps[i][1], rc);
            return 1;
        }
    }
    printf("probe: main done\n");
    return 0;
}

int main(int argc, char** argv) {
    const char* base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (strcmp(base, "run") == 0) return serve();
    if (argc == 2 && strcmp(argv[1], "id") == 0) return print_id();
    if (argc == 2 && strcmp(argv[1], "main") == 0) return drive();
    fprintf(stderr, "usage: probe id|main, or as a service's run\n");
    return 2;
}
