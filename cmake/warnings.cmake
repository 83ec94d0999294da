# One interface target carries the warning set; every project target links it.
add_library(svinit_warnings INTERFACE)
target_compile_options(svinit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wswitch-enum -Wformat=2 -Wimplicit-fallthrough)
if(SVINIT_WERROR)
  target_compile_options(svinit_warnings INTERFACE -Werror)
endif()
if(SVINIT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SVINIT_FUZZ needs clang (libFuzzer): "
      "-DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_C_COMPILER=clang-16; see docs/fuzzing.md")
  endif()
  # Coverage for the fuzzer in every library; the fuzz binaries add -fsanitize=fuzzer
  # (libFuzzer's main) themselves.
  target_compile_options(svinit_warnings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
  target_link_options(svinit_warnings INTERFACE -fsanitize=address,undefined)
elseif(SVINIT_SANITIZE)
  target_compile_options(svinit_warnings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(svinit_warnings INTERFACE -fsanitize=address,undefined)
endif()
