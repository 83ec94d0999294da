// bench/sandbox_stamp.c: the sandbox bench's worker. Its first act is to read
// CLOCK_MONOTONIC (not namespaced without a time namespace, which no peer makes) and write
// it to stdout in nanoseconds; bench/sandbox_time.c subtracts the moment it spawned the
// sandbox. Built static, so it runs in the busybox root with no libraries.
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    char text[32];
    char* end = text + sizeof text;
    char* p = end;
    *--p = '\n';
    unsigned long long ns = (unsigned long long)now.tv_sec * 1000000000ULL + (unsigned long long)now.tv_nsec;
    do {
        *--p = (char)('0' + ns % 10);
        ns /= 10;
    } while (ns != 0);
    return write(1, p, (size_t)(end - p)) == end - p ? 0 : 1;
}
