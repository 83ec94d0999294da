// The one translation unit with Catch2's main(). The tests run svinit as PID 1 of a fresh PID
// namespace (see support/svinit.h); each TEST_CASE runs once per event loop backend.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
