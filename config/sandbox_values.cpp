#include "config/sandbox_values.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace svinit::config {

namespace {

constexpr std::uint64_t kDefaultPeriod = 100'000;

}  // namespace

core::Result<sandbox::CpuMax> cpu_max_from_cpus(double cpus) {
    if (!std::isfinite(cpus) || cpus < 0.01 || cpus > 1024) {
        return core::error(0, fmt::format("{} CPUs: expected from 0.01 to 1024", cpus));
    }
    return sandbox::CpuMax{static_cast<std::uint64_t>(std::llround(cpus * kDefaultPeriod)),
                           kDefaultPeriod};
}

core::Result<sandbox::CpuMax> parse_cpu_max(std::string_view text) {
    const auto space = text.find(' ');
    if (space == std::string_view::npos) {
        double cpus = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cpus);
        if (ec != std::errc() || end != text.data() + text.size()) {
            return core::error(0, fmt::format("\"{}\": expected \"QUOTA PERIOD\" in microseconds "
                                              "(\"50000 100000\") or a number of CPUs (\"0.5\")",
                                              text));
        }
        return cpu_max_from_cpus(cpus);
    }
    sandbox::CpuMax out;
    const std::string_view quota = text.substr(0, space);
    const std::string_view period = text.substr(space + 1);
    auto q = std::from_chars(quota.data(), quota.data() + quota.size(), out.quota_us);
    auto p = std::from_chars(period.data(), period.data() + period.size(), out.period_us);
    if (q.ec != std::errc() || q.ptr != quota.data() + quota.size() || p.ec != std::errc() ||
        p.ptr != period.data() + period.size()) {
        return core::error(0, fmt::format("\"{}\": expected \"QUOTA PERIOD\" in microseconds, "
                                          "e.g. \"50000 100000\"",
                                          text));
    }
    if (out.quota_us < 1000 || out.period_us < 1000 || out.period_us > 1'000'000) {
        return core::error(0, fmt::format("\"{}\": the quota must be at least 1000 and the period "
                                          "from 1000 to 1000000 microseconds",
                                          text));
    }
    return out;
}

core::Result<int> errno_from_name(std::string_view name) {
    for (int e = 1; e < 134; ++e) {
        const char* known = strerrorname_np(e);
        if (known != nullptr && name == known) return e;
    }
    return core::error(0,
                       fmt::format("\"{}\": not an errno name (EPERM, ENOSYS, EACCES, ...)", name));
}

}  // namespace svinit::config
