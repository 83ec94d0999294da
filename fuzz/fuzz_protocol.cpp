// The control protocol codec (control/protocol.h) on arbitrary lines, in both directions:
// the request decoder svinit runs on what any local client sends, and the response
// decoder svctl runs on what it reads. Properties beyond "no crash, no leak, no UB":
//  - a refused request is refused with a code the server can answer with, and a message;
//  - an accepted request respects every bound of docs/protocol.md;
//  - whatever decodes re-encodes to a line that decodes to the same value.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "control/protocol.h"
#include "fuzz/fuzz_check.h"

using namespace svinit::control;

namespace {

void check_request(std::string_view line) {
    const auto request = decode_request(line);
    if (!request) {
        const ErrorCode code = decode_error_code(request.error());
        FUZZ_CHECK(code == ErrorCode::BadRequest || code == ErrorCode::UnsupportedVersion ||
                   code == ErrorCode::TooLarge);
        FUZZ_CHECK(!request.error().context.empty());
        return;
    }
    FUZZ_CHECK(request->services.size() <= kMaxServicesPerRequest);
    for (const std::string& name : request->services) {
        FUZZ_CHECK(!name.empty() && name.find('\0') == std::string::npos, name);
    }
    FUZZ_CHECK(request->timeout.count() >= 0 && request->timeout <= kMaxWaitTimeout);
    const bool needs_services =
        request->kind == RequestKind::Command || request->kind == RequestKind::Wait;
    const bool takes_services =
        request->kind != RequestKind::Shutdown && request->kind != RequestKind::Check;
    FUZZ_CHECK(!needs_services || !request->services.empty());
    FUZZ_CHECK(takes_services || request->services.empty());

    const std::string again = encode_request(*request);
    FUZZ_CHECK(again.find('\n') == std::string::npos, again);
    const auto decoded = decode_request(again);
    FUZZ_CHECK(decoded.has_value(), again);
    FUZZ_CHECK(*decoded == *request, again);
}

void check_response(std::string_view line) {
    const auto response = decode_response(line);
    if (!response) {
        FUZZ_CHECK(!response.error().context.empty());
        return;
    }
    // Response has no operator==; its encoding is canonical, so compare that.
    const std::string once = encode_response(*response);
    FUZZ_CHECK(once.find('\n') == std::string::npos, once);
    const auto decoded = decode_response(once);
    FUZZ_CHECK(decoded.has_value(), once);
    FUZZ_CHECK(encode_response(*decoded) == once, once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    check_request(line);
    check_response(line);
    return 0;
}
