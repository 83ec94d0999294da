#include "sandbox/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace svinit::sandbox {

namespace {

// libcap's cap_t, freed once.
class CapState {
public:
    explicit CapState(cap_t caps) noexcept : caps_(caps) {}
    CapState(const CapState&) = delete;
    CapState& operator=(const CapState&) = delete;
    ~CapState() {
        if (caps_ != nullptr) cap_free(caps_);
    }
    cap_t get() const noexcept { return caps_; }

private:
    cap_t caps_;
};

int set_flag(cap_t state, cap_flag_t flag, const CapSet& set) noexcept {
    for (int cap : set) {
        cap_value_t value = cap;
        if (cap_set_flag(state, flag, 1, &value, CAP_SET) != 0) return errno;
    }
    return 0;
}

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
    std::string text;
    for (char c : name) text += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!text.starts_with("cap_")) text = "cap_" + text;
    cap_value_t value = 0;
    // libcap also reads plain numbers; a name must be a name.
    if (text.size() > 4 && std::isdigit(static_cast<unsigned char>(text[4]))) return std::nullopt;
    if (cap_from_name(text.c_str(), &value) != 0) return std::nullopt;
    return static_cast<int>(value);
}

std::string capability_name(int cap) {
    char* text = cap_to_name(static_cast<cap_value_t>(cap));
    std::string name = text != nullptr ? text : std::to_string(cap);
    if (text != nullptr) cap_free(text);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

std::vector<std::string> capability_names() {
    std::vector<std::string> names;
    for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) names.push_back(capability_name(cap));
    return names;
}

int drop_bounding(const Capabilities& caps, const char** what) noexcept {
    *what = "capabilities (bounding set)";
    const int last = static_cast<int>(cap_max_bits()) - 1;
    for (int cap = 0; cap <= last; ++cap) {
        bool keep = false;
        for (int k : caps.bounding) keep = keep || k == cap;
        if (keep) continue;
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
    }
    return 0;
}

int apply_capabilities(const Capabilities& caps, const char** what) noexcept {
    *what = "capabilities (effective, permitted, inheritable)";
    CapState state(cap_init());
    if (state.get() == nullptr) return errno;
    if (int e = set_flag(state.get(), CAP_EFFECTIVE, caps.effective); e != 0) return e;
    if (int e = set_flag(state.get(), CAP_PERMITTED, caps.permitted); e != 0) return e;
    if (int e = set_flag(state.get(), CAP_INHERITABLE, caps.inheritable); e != 0) return e;
    if (cap_set_proc(state.get()) != 0) return errno;
    *what = "capabilities (ambient)";
    if (cap_reset_ambient() != 0 && errno != EINVAL) return errno;
    for (int cap : caps.ambient) {
        if (cap_set_ambient(static_cast<cap_value_t>(cap), CAP_SET) != 0) return errno;
    }
    return 0;
}

int drop_all_capabilities(const char** what) noexcept {
    if (int e = drop_bounding(Capabilities{}, what); e != 0) return e;
    return apply_capabilities(Capabilities{}, what);
}

}  // namespace svinit::sandbox
