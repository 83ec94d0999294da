# Debian 12 packages only; see scripts/install-deps.sh.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing)
# Sandboxes: capabilities (libcap-dev) and seccomp filters (libseccomp-dev).
pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)
pkg_check_modules(LIBSECCOMP REQUIRED IMPORTED_TARGET libseccomp)

# libev ships neither a CMake nor a pkg-config file.
find_path(LIBEV_INCLUDE_DIR ev.h REQUIRED)
find_library(LIBEV_LIBRARY ev REQUIRED)
add_library(svinit_libev INTERFACE)
target_include_directories(svinit_libev SYSTEM INTERFACE ${LIBEV_INCLUDE_DIR})
target_link_libraries(svinit_libev INTERFACE ${LIBEV_LIBRARY})

find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
if(SVINIT_TESTS)
  find_package(Catch2 REQUIRED)
endif()
find_package(nlohmann_json 3.10 REQUIRED)
