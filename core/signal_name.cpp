#include "core/signal_name.h"

#include <fmt/format.h>
#include <signal.h>
#include <string.h>

#include <optional>
#include <string>

#include "core/parse_number.h"

namespace svinit::core {
namespace {

// "RTMIN", "RTMIN+N", "RTMAX", "RTMAX-N", as kill(1) and Docker read them.
std::optional<int> parse_realtime(std::string_view name) {
    for (auto [base, sign, prefix] : {std::tuple{SIGRTMIN, 1, std::string_view("RTMIN")},
                                      std::tuple{SIGRTMAX, -1, std::string_view("RTMAX")}}) {
        if (!name.starts_with(prefix)) continue;
        auto rest = name.substr(prefix.size());
        if (rest.empty()) return base;
        if (rest.front() != (sign > 0 ? '+' : '-')) return std::nullopt;
        auto offset = parse_number<int>(rest.substr(1));
        if (!offset) return std::nullopt;
        return base + sign * *offset;
    }
    return std::nullopt;
}

}  // namespace

core::Result<int> parse_signal(std::string_view text) {
    std::optional<int> sig = parse_number<int>(text);
    if (!sig) {
        std::string name(text);
        for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        std::string_view bare = name;
        if (bare.starts_with("SIG")) bare.remove_prefix(3);
        for (int n = 1; n < SIGRTMIN && !sig; ++n) {
            const char* abbrev = sigabbrev_np(n);
            if (abbrev && bare == abbrev) sig = n;
        }
        if (!sig) sig = parse_realtime(bare);
    }
    // KILL and STOP cannot be caught, so they could never start a shutdown.
    if (!sig || *sig < 1 || *sig > SIGRTMAX || *sig == SIGKILL || *sig == SIGSTOP) {
        return core::error(0, fmt::format("'{}' is not a signal svinit can catch", text));
    }
    return *sig;
}

}  // namespace svinit::core
