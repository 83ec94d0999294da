# Debian 12 packages only; see scripts/install-deps.sh. Each dependency is reached through
# one svinit_dep_* target, so the static build (SVINIT_STATIC) can swap shared libraries
# for archives and header-only modes in one place.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing)
# Sandboxes: capabilities (libcap-dev) and seccomp filters (libseccomp-dev).
pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)
pkg_check_modules(LIBSECCOMP REQUIRED IMPORTED_TARGET libseccomp)

# libev ships neither a CMake nor a pkg-config file.
find_path(LIBEV_INCLUDE_DIR ev.h REQUIRED)

find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(tomlplusplus REQUIRED)
if(SVINIT_TESTS)
  find_package(Catch2 REQUIRED)
endif()
find_package(nlohmann_json 3.10 REQUIRED)

add_library(svinit_dep_uring INTERFACE)
add_library(svinit_dep_cap INTERFACE)
add_library(svinit_dep_seccomp INTERFACE)
add_library(svinit_libev INTERFACE)
add_library(svinit_dep_log INTERFACE)
add_library(svinit_dep_toml INTERFACE)
target_include_directories(svinit_libev SYSTEM INTERFACE ${LIBEV_INCLUDE_DIR})

if(SVINIT_STATIC)
  # The archives Debian's -dev packages ship (liburing.a, libcap.a, libseccomp.a, libev.a).
  function(svinit_static_archive target name)
    find_library(SVINIT_${name}_ARCHIVE NAMES lib${name}.a REQUIRED)
    target_link_libraries(${target} INTERFACE ${SVINIT_${name}_ARCHIVE})
  endfunction()
  svinit_static_archive(svinit_dep_uring uring)
  svinit_static_archive(svinit_dep_cap cap)
  svinit_static_archive(svinit_dep_seccomp seccomp)
  svinit_static_archive(svinit_libev ev)
  target_include_directories(svinit_dep_uring SYSTEM INTERFACE ${LIBURING_INCLUDE_DIRS})
  target_include_directories(svinit_dep_cap SYSTEM INTERFACE ${LIBCAP_INCLUDE_DIRS})
  target_include_directories(svinit_dep_seccomp SYSTEM INTERFACE ${LIBSECCOMP_INCLUDE_DIRS})
  # spdlog and fmt header-only (Debian ships them as shared libraries only); their targets'
  # header-only variants would still link libfmt.so, so the definitions are set here.
  get_target_property(SVINIT_FMT_INCLUDES fmt::fmt-header-only INTERFACE_INCLUDE_DIRECTORIES)
  get_target_property(SVINIT_SPDLOG_INCLUDES spdlog::spdlog_header_only
                      INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(svinit_dep_log SYSTEM INTERFACE
                             ${SVINIT_FMT_INCLUDES} ${SVINIT_SPDLOG_INCLUDES})
  # FMT_STATIC_THOUSANDS_SEPARATOR keeps std::locale out: svinit formats nothing with {:L},
  # and referencing std::locale links every facet of libstdc++ (about 400 KiB).
  target_compile_definitions(svinit_dep_log INTERFACE FMT_HEADER_ONLY=1 SPDLOG_FMT_EXTERNAL
                             FMT_STATIC_THOUSANDS_SEPARATOR=',')
  # toml++ compiles into the config library instead of libtomlplusplus.so.
  get_target_property(SVINIT_TOML_INCLUDES tomlplusplus::tomlplusplus
                      INTERFACE_INCLUDE_DIRECTORIES)
  target_include_directories(svinit_dep_toml SYSTEM INTERFACE ${SVINIT_TOML_INCLUDES})
  # Numbers through <charconv>, not iostreams with std::locale (see FMT_ above).
  target_compile_definitions(svinit_dep_toml INTERFACE TOML_HEADER_ONLY=1 TOML_FLOAT_CHARCONV=1)
  # No NSS at run time: core/user_db.cpp reads /etc/passwd and /etc/group itself.
  add_compile_definitions(SVINIT_NO_NSS)
else()
  find_library(LIBEV_LIBRARY ev REQUIRED)
  target_link_libraries(svinit_dep_uring INTERFACE PkgConfig::LIBURING)
  target_link_libraries(svinit_dep_cap INTERFACE PkgConfig::LIBCAP)
  target_link_libraries(svinit_dep_seccomp INTERFACE PkgConfig::LIBSECCOMP)
  target_link_libraries(svinit_libev INTERFACE ${LIBEV_LIBRARY})
  target_link_libraries(svinit_dep_log INTERFACE spdlog::spdlog fmt::fmt)
  target_link_libraries(svinit_dep_toml INTERFACE tomlplusplus::tomlplusplus)
endif()
