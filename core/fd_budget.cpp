#include "core/fd_budget.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <vector>

#include "core/unique_fd.h"

namespace svinit::core {

bool fds_available(std::size_t count) {
    if (count == 0) return true;
    UniqueFd first(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!first) return false;
    std::vector<UniqueFd> probes;
    probes.reserve(count - 1);
    for (std::size_t i = 1; i < count; ++i) {
        UniqueFd probe(::fcntl(first.get(), F_DUPFD_CLOEXEC, 0));
        if (!probe) return false;
        probes.push_back(std::move(probe));
    }
    return true;
}

unsigned long fd_limit() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    return static_cast<unsigned long>(limit.rlim_cur);
}

}  // namespace svinit::core
