# Compiler portability. GCC is the main compiler; clang (the fuzz build, docs/fuzzing.md)
# must build the same code.
include(CheckCXXSourceCompiles)

# clang 16 with libstdc++ 12: <expected> hides std::expected behind __cpp_concepts >=
# 202002L, which clang 16 does not claim yet (it reports 201907) although it compiles
# that code. Claiming it brings std::expected back; only done when it is needed.
set(SVINIT_EXPECTED_PROBE "#include <expected>
int main() { std::expected<int, int> e = 1; return *e - 1; }")
set(CMAKE_REQUIRED_FLAGS "-std=c++2b")
check_cxx_source_compiles("${SVINIT_EXPECTED_PROBE}" SVINIT_HAS_EXPECTED)
if(NOT SVINIT_HAS_EXPECTED)
  set(CMAKE_REQUIRED_FLAGS "-std=c++2b -D__cpp_concepts=202002L -Wno-macro-redefined")
  check_cxx_source_compiles("${SVINIT_EXPECTED_PROBE}" SVINIT_HAS_EXPECTED_WITH_CONCEPTS)
  if(NOT SVINIT_HAS_EXPECTED_WITH_CONCEPTS)
    message(FATAL_ERROR "${CMAKE_CXX_COMPILER} has no std::expected; use GCC 12 or clang 16 or later")
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-D__cpp_concepts=202002L>
                      $<$<COMPILE_LANGUAGE:CXX>:-Wno-macro-redefined>)
endif()
unset(CMAKE_REQUIRED_FLAGS)
