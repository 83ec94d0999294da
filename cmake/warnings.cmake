# One interface target carries the warning set; every project target links it.
add_library(svinit_warnings INTERFACE)
target_compile_options(svinit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wswitch-enum -Wformat=2 -Wimplicit-fallthrough)
if(SVINIT_WERROR)
  target_compile_options(svinit_warnings INTERFACE -Werror)
endif()
if(SVINIT_SANITIZE)
  target_compile_options(svinit_warnings INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(svinit_warnings INTERFACE -fsanitize=address,undefined)
endif()
