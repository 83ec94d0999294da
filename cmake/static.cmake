# SVINIT_STATIC: fully static svinit and svctl for images that hold nothing else (Alpine,
# distroless, FROM scratch): static glibc and libstdc++, the dependencies' archives or
# header-only modes (cmake/dependencies.cmake), link-time optimisation, unused sections
# dropped, stripped. Reproducible: no build path reaches the binary (the prefix maps), no
# date is compiled in, and the link is deterministic, so one source gives one binary.
if(SVINIT_SANITIZE OR SVINIT_FUZZ)
  message(FATAL_ERROR "SVINIT_STATIC does not combine with SVINIT_SANITIZE or SVINIT_FUZZ")
endif()
include(CheckIPOSupported)
check_ipo_supported(RESULT SVINIT_IPO OUTPUT SVINIT_IPO_ERROR LANGUAGES C CXX)
if(NOT SVINIT_IPO)
  message(FATAL_ERROR "SVINIT_STATIC needs link-time optimisation: ${SVINIT_IPO_ERROR}")
endif()
set(CMAKE_INTERPROCEDURAL_OPTIMIZATION ON)
# -Os: svinit's hot paths are system calls, not loops; size is what an image pays for.
add_compile_options(-Os -ffunction-sections -fdata-sections
                    -ffile-prefix-map=${PROJECT_SOURCE_DIR}=.
                    -ffile-prefix-map=${PROJECT_BINARY_DIR}=build)
add_link_options(-static -Wl,--gc-sections -Wl,--build-id=sha1 -s)
