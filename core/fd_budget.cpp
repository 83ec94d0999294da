#include "core/fd_budget.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <vector>

#include "core/unique_fd.h"

namespace svinit::core {

std::size_t fds_free(std::size_t up_to) {
    if (up_to == 0) return 0;
    UniqueFd first(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!first) return 0;
    std::vector<UniqueFd> probes;
    probes.reserve(up_to - 1);
    for (std::size_t i = 1; i < up_to; ++i) {
        UniqueFd probe(::fcntl(first.get(), F_DUPFD_CLOEXEC, 0));
        if (!probe) break;
        probes.push_back(std::move(probe));
    }
    return probes.size() + 1;
}

unsigned long fd_limit() {
    struct rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    return static_cast<unsigned long>(limit.rlim_cur);
}

}  // namespace svinit::core
