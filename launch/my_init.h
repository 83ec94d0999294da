#pragma once
// svinit as baseimage-docker's my_init (invoked as my_init, or `svinit --my-init`).

#include <span>
#include <string_view>

namespace svinit::launch {

// Parses my_init's command line, prepares the container environment and runs; returns
// the exit code.
int my_init_main(std::span<const std::string_view> args);

}  // namespace svinit::launch
