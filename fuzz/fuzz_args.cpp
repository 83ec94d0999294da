// Every command line svinit's two binaries parse: svctl's, runit's sv syntax (svctl as
// `sv`), setuser's, svinit's own and my_init's, with the environment variables they read,
// and what svctl makes of a service argument on the wire.
//
// Input: one selector byte, then the words, split at NUL bytes (as argv is). The parsers
// that read the environment take their variables from the first words.
// Properties beyond "no crash": every bound the parsers promise holds on success, and a
// parsed svctl command line becomes a request that survives the wire unchanged.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/protocol.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/utf8.h"
#include "launch/my_init_options.h"
#include "launch/svinit_options.h"
#include "svctl/args.h"
#include "svctl/run.h"
#include "svctl/setuser.h"

using namespace svinit;

namespace {

using std::chrono::milliseconds;
using svinit::fuzz::is_valid_utf8;

constexpr std::string_view kCwd = "/srv/here";

std::vector<std::string_view> split_words(std::string_view input) {
    std::vector<std::string_view> words;
    if (input.empty()) return words;
    for (;;) {
        const auto nul = input.find('\0');
        words.push_back(input.substr(0, nul));
        if (nul == std::string_view::npos) break;
        input.remove_prefix(nul + 1);
    }
    return words;
}

// The first word, taken off as an environment variable's value.
std::optional<std::string_view> take_env(std::vector<std::string_view>& words, bool present) {
    if (!present || words.empty()) return std::nullopt;
    const std::string_view value = words.front();
    words.erase(words.begin());
    return value;
}

// A path-like service argument becomes absolute and lexically normal.
void check_wire_name(std::string_view arg, std::string_view cwd) {
    const std::string wire = svctl::wire_service_name(arg, cwd);
    FUZZ_CHECK(!wire.empty() || arg.empty(), arg);
    if (!wire.starts_with('/')) {
        FUZZ_CHECK(wire == arg, wire);
        return;
    }
    FUZZ_CHECK(wire == "/" || !wire.ends_with('/'), wire);
    FUZZ_CHECK(wire.find("//") == std::string::npos, wire);
    FUZZ_CHECK(wire.find("/./") == std::string::npos && !wire.ends_with("/."), wire);
    FUZZ_CHECK(wire.find("/../") == std::string::npos && !wire.ends_with("/.."), wire);
}

void check_svctl(std::span<const std::string_view> args, std::optional<std::string_view> env) {
    const auto parsed = svctl::parse_svctl_args(args, env);
    if (!parsed) {
        FUZZ_CHECK(!parsed.error().context.empty());
        return;
    }
    FUZZ_CHECK(!parsed->socket_path.empty());
    if (parsed->action != svctl::SvctlAction::Run) return;
    FUZZ_CHECK(parsed->services.size() <= control::kMaxServicesPerRequest);
    if (parsed->timeout) {
        FUZZ_CHECK(parsed->timeout->count() >= 0 && *parsed->timeout <= milliseconds(86'400'000));
    }
    // The request run_svctl sends for it.
    control::Request request;
    request.kind = parsed->kind;
    request.command = parsed->command;
    request.target = parsed->target;
    bool utf8 = true;
    for (const std::string& name : parsed->services) {
        FUZZ_CHECK(!name.empty());
        check_wire_name(name, kCwd);
        check_wire_name(name, "");
        request.services.push_back(svctl::wire_service_name(name, kCwd));
        utf8 = utf8 && is_valid_utf8(request.services.back());
    }
    if (request.kind == control::RequestKind::Wait && parsed->timeout) {
        request.timeout = svctl::wire_wait_timeout(*parsed->timeout);
    }
    const std::string line = control::encode_request(request);
    const auto decoded = control::decode_request(line);
    FUZZ_CHECK(decoded.has_value(), decoded ? "" : decoded.error().message());
    // Invalid UTF-8 arrives as U+FFFD, so only valid UTF-8 comes back byte for byte.
    if (utf8) FUZZ_CHECK(*decoded == request, line);
}

void check_sv(std::span<const std::string_view> args, std::optional<std::string_view> env) {
    const auto parsed = svctl::parse_sv_args(args, env);
    if (!parsed) return;
    FUZZ_CHECK(parsed->wait.count() >= 0 && parsed->wait <= std::chrono::seconds(86400));
    if (parsed->version) return;
    FUZZ_CHECK(!parsed->services.empty() &&
               parsed->services.size() <= control::kMaxServicesPerRequest);
    for (const std::string& name : parsed->services) check_wire_name(name, kCwd);
}

void check_setuser(std::span<const std::string_view> args) {
    const auto parsed = svctl::parse_setuser_args(args);
    if (!parsed || parsed->help) return;
    FUZZ_CHECK(!parsed->user.empty() && !parsed->command.empty());
}

void check_svinit(std::span<const std::string_view> args) {
    const auto parsed = launch::parse_svinit_options(args);
    if (!parsed) {
        FUZZ_CHECK(!parsed.error().context.empty());
        return;
    }
    for (const auto d : {parsed->kill_grace, parsed->stop_timeout, parsed->finish_timeout,
                         parsed->backoff_min, parsed->backoff_max, parsed->healthy_run}) {
        FUZZ_CHECK(d.count() >= 0 && d <= std::chrono::seconds(86400));
    }
    for (const std::string& dir : parsed->service_dirs) FUZZ_CHECK(!dir.empty());
}

void check_my_init(std::vector<std::string_view> words, std::uint8_t flags) {
    const auto init_dir = take_env(words, (flags & 0x10) != 0);
    const auto kill_process = take_env(words, (flags & 0x20) != 0);
    const auto kill_all = take_env(words, (flags & 0x40) != 0);
    // getenv's answer must outlive the call: keep NUL-terminated copies.
    const std::optional<std::string> env[] = {
        init_dir ? std::optional<std::string>(*init_dir) : std::nullopt,
        kill_process ? std::optional<std::string>(*kill_process) : std::nullopt,
        kill_all ? std::optional<std::string>(*kill_all) : std::nullopt};
    const launch::GetEnv getenv = [&env](const char* name) -> const char* {
        const std::string_view n(name);
        const std::size_t i = n == "ENV_INIT_DIRECTORY"           ? 0
                              : n == "KILL_PROCESS_TIMEOUT"       ? 1
                              : n == "KILL_ALL_PROCESSES_TIMEOUT" ? 2
                                                                  : 3;
        return i < 3 && env[i] ? env[i]->c_str() : nullptr;
    };
    const auto parsed = launch::parse_my_init_options(words, getenv);
    if (!parsed) return;
    FUZZ_CHECK(parsed->kill_process_timeout.count() >= 0);
    FUZZ_CHECK(parsed->kill_all_processes_timeout.count() >= 0);
    FUZZ_CHECK(!parsed->init_directory.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::uint8_t selector = data[0];
    std::vector<std::string_view> words =
        split_words(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
    const bool env_present = (selector & 0x08) != 0;
    switch (selector % 8) {
        case 0:
        case 1: {
            const auto env = take_env(words, env_present);
            check_svctl(words, env);
            break;
        }
        case 2:
        case 3: {
            const auto env = take_env(words, env_present);
            check_sv(words, env);
            break;
        }
        case 4:
            check_setuser(words);
            break;
        case 5:
            check_svinit(words);
            break;
        case 6:
            check_my_init(std::move(words), selector);
            break;
        default:
            for (const std::string_view word : words) {
                if (const auto t = svctl::parse_timeout_seconds(word)) {
                    FUZZ_CHECK(t->count() >= 0 && *t <= milliseconds(86'400'000));
                }
                if (const auto s = launch::parse_seconds(word)) {
                    FUZZ_CHECK(s->count() >= 0 && *s <= std::chrono::seconds(86400));
                }
                check_wire_name(word, kCwd);
            }
            break;
    }
    return 0;
}
