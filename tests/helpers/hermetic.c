// hermetic COMMAND [ARGS...]: execs COMMAND with the machine's /etc/service hidden, so a test's
// svinit does not start the host's runit services (svinit supervises /etc/service by default
// when it exists). Run it as the first process of the test's private mount namespace
// (`unshare --pid --fork --mount-proc hermetic svinit ...`): the host never sees the change.
//
// Only a missing /etc/service turns that default off, and a mount can hide a directory but
// not remove it. So /etc gets an overlay in which /etc/service is deleted; the overlay's
// upper layer lives on a tmpfs mounted on /etc/service itself, which the overlay then covers.
#define _GNU_SOURCE  // nftw's FTW_DEPTH and FTW_PHYS
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char* what) {
    fprintf(stderr, "hermetic: %s: %s\n", what, strerror(errno));
    return 1;
}

static int remove_entry(const char* path, const struct stat* st, int type, struct FTW* ftw) {
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int hide_etc_service(void) {
    struct stat st;
    if (stat("/etc/service", &st) != 0 || !S_ISDIR(st.st_mode)) return 0;  // nothing to hide
    if (mount("hermetic", "/etc/service", "tmpfs", 0, "size=64k,mode=0700") != 0) {
        return fail("mount tmpfs on /etc/service");
    }
    if (mkdir("/etc/service/upper", 0700) != 0) return fail("mkdir /etc/service/upper");
    if (mkdir("/etc/service/work", 0700) != 0) return fail("mkdir /etc/service/work");
    if (mount("overlay", "/etc", "overlay", 0,
              "lowerdir=/etc,upperdir=/etc/service/upper,workdir=/etc/service/work") != 0) {
        return fail("mount overlay on /etc");
    }
    // In the overlay, deleting only leaves whiteouts in the upper layer. FTW_PHYS: a symlinked
    // /etc/service (runit's is one) goes itself, not what it points to.
    if (nftw("/etc/service", remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        return fail("remove /etc/service in the overlay");
    }
    return 0;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: hermetic COMMAND [ARGS...]\n");
        return 2;
    }
    if (hide_etc_service() != 0) return 1;
    execvp(argv[1], argv + 1);
    fail(argv[1]);
    return 127;
}
