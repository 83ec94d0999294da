#pragma once
// Capabilities by name (libcap's table, so a new kernel's names come with libcap), and
// applying a sandbox's five sets in its child.

#include <optional>
#include <string>
#include <string_view>

#include "sandbox/sandbox_spec.h"

namespace svinit::sandbox {

// "CAP_NET_BIND_SERVICE", "net_bind_service", any case. nullopt for an unknown name.
std::optional<int> capability_from_name(std::string_view name);
// "CAP_NET_BIND_SERVICE"
std::string capability_name(int cap);
// Every name libcap knows, for did-you-mean: "CAP_CHOWN", ...
std::vector<std::string> capability_names();

// In the child, as root of its user namespace (or real root), before it becomes the
// worker's user: drops every capability outside `caps.bounding` from the bounding set.
// On failure returns the errno and sets `what` to the step. 0 on success.
int drop_bounding(const Capabilities& caps, const char** what) noexcept;

// After the user switch (done with PR_SET_KEEPCAPS): sets effective, permitted and
// inheritable, then the ambient set. 0 or an errno, with `what` set.
int apply_capabilities(const Capabilities& caps, const char** what) noexcept;

// Drops every capability of the calling process (all five sets). For the sandbox's init.
int drop_all_capabilities(const char** what) noexcept;

}  // namespace svinit::sandbox
