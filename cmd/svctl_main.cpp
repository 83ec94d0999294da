// svctl: the control client. Service supervision comes with the supervision issue;
// until then it only knows its usage.

#include <cstdio>
#include <cstring>

namespace {

constexpr const char* kUsage =
    "usage: svctl [--socket PATH] [--json] COMMAND [SERVICE...]\n"
    "\n"
    "svctl controls a running svinit. Service supervision is not built yet,\n"
    "so no command is available in this version.\n";

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
        std::printf("svctl %s\n", SVINIT_VERSION);
        return 0;
    }
    std::fputs(kUsage, stderr);
    return 2;
}
