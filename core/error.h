#pragma once
// Errors are values inside svinit: what was being done, and the errno it failed with.

#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <utility>

namespace svinit::core {

struct Error {
    int code = 0;          // errno value, 0 when the failure is not a system call's
    std::string context;   // what was being done, e.g. "open /etc/service/web/run"

    // "context: strerror(code)", or just the context when there is no errno.
    std::string message() const {
        if (code == 0) return context;
        return context + ": " + std::strerror(code);
    }
};

template <typename T>
using Result = std::expected<T, Error>;

// The error for a failed system call, taken from errno right now.
inline std::unexpected<Error> sys_error(std::string context) {
    return std::unexpected(Error{errno, std::move(context)});
}

inline std::unexpected<Error> error(int code, std::string context) {
    return std::unexpected(Error{code, std::move(context)});
}

}  // namespace svinit::core
