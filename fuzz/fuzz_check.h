#pragma once
// For fuzz targets: a property that must hold for every input. A failure prints what
// broke and aborts, which libFuzzer reports as a crash (and saves the input) and which
// fails the replay test.

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace svinit::fuzz {

[[noreturn]] inline void property_failed(const char* expr, std::string_view detail,
                                         const char* file, int line) {
    std::fprintf(stderr, "%s:%d: property failed: %s\n", file, line, expr);
    if (!detail.empty()) {
        std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
    }
    std::abort();
}

}  // namespace svinit::fuzz

// FUZZ_CHECK(condition) or FUZZ_CHECK(condition, detail): detail is anything a
// std::string_view can be made from, evaluated only on failure.
#define FUZZ_CHECK(cond, ...)                                                               \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            ::svinit::fuzz::property_failed(#cond, std::string_view{__VA_ARGS__}, __FILE__, \
                                            __LINE__);                                      \
        }                                                                                   \
    } while (false)
