#include "services/log_format.h"

#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

namespace svinit::services {
namespace {

// Length of the valid UTF-8 sequence at the front of `s`, or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not valid).
std::size_t utf8_sequence(std::string_view s) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(0);
    std::size_t len = 0;
    std::uint32_t min = 0;
    std::uint32_t cp = 0;
    if (b0 < 0x80) return 1;
    if ((b0 & 0xE0) == 0xC0) {
        len = 2, min = 0x80, cp = b0 & 0x1Fu;
    } else if ((b0 & 0xF0) == 0xE0) {
        len = 3, min = 0x800, cp = b0 & 0x0Fu;
    } else if ((b0 & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, cp = b0 & 0x07u;
    } else {
        return 0;
    }
    if (s.size() < len) return 0;
    for (std::size_t i = 1; i < len; ++i) {
        if ((byte(i) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (byte(i) & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

}  // namespace

std::string_view to_string(LogStream stream) noexcept {
    switch (stream) {
        case LogStream::Stdout:
            return "stdout";
        case LogStream::Stderr:
            return "stderr";
    }
    return "stdout";
}

void append_json_string(std::string& out, std::string_view bytes) {
    out.push_back('"');
    while (!bytes.empty()) {
        const char c = bytes.front();
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            const std::size_t len = utf8_sequence(bytes);
            if (len == 0) {
                out.append("\xEF\xBF\xBD");  // U+FFFD for the one byte
                bytes.remove_prefix(1);
            } else {
                out.append(bytes.substr(0, len));
                bytes.remove_prefix(len);
            }
            continue;
        }
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            default:
                if (u < 0x20 || u == 0x7F) {
                    out.append(fmt::format("\\u{:04x}", u));
                } else {
                    out.push_back(c);
                }
        }
        bytes.remove_prefix(1);
    }
    out.push_back('"');
}

std::string rfc3339(std::chrono::system_clock::time_point time) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    const time_t seconds = static_cast<time_t>(micros / 1'000'000);
    const long fraction = static_cast<long>(micros % 1'000'000);
    struct tm tm {};
    ::gmtime_r(&seconds, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fraction);
}

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
    if (text.size() < 20 || text.back() != 'Z' || text.size() > 64) return std::nullopt;
    const std::string_view s = text;
    // YYYY-MM-DDTHH:MM:SS at fixed places (no sscanf: it would pull glibc's scanf engine into
    // the static binary for this one line).
    const auto number = [&s](std::size_t at, std::size_t count, int& out) {
        out = 0;
        for (std::size_t i = at; i < at + count; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    struct tm tm {};
    if (!number(0, 4, tm.tm_year) || s[4] != '-' || !number(5, 2, tm.tm_mon) || s[7] != '-' ||
        !number(8, 2, tm.tm_mday) || s[10] != 'T' || !number(11, 2, tm.tm_hour) ||
        s[13] != ':' || !number(14, 2, tm.tm_min) || s[16] != ':' || !number(17, 2, tm.tm_sec)) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long nanos = 0;
    std::size_t i = 19;
    if (s[i] == '.') {
        int digits = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9' && digits < 9; ++i, ++digits) {
            nanos = nanos * 10 + (s[i] - '0');
        }
        for (; digits < 9; ++digits) nanos *= 10;
    }
    if (i != s.size() - 1) return std::nullopt;
    const time_t seconds = ::timegm(&tm);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos)));
}

core::Result<PrefixFormat> parse_prefix_format(std::string_view text) {
    static constexpr std::pair<std::string_view, PrefixField> kFields[] = {
        {"name", PrefixField::Name},
        {"stream", PrefixField::Stream},
        {"rfc3339", PrefixField::Rfc3339},
        {"tai64n", PrefixField::Tai64n}};
    const auto fail = [&] {
        // fmt, not "\"" + string: GCC 12 at -O3 warns falsely (-Wrestrict) on that.
        return core::error(0, fmt::format("\"{}\" is not a prefix format (comma-separated "
                                          "fields, each once: name, stream, rfc3339, tai64n)",
                                          text));
    };
    PrefixFormat format;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view word = text.substr(start, comma - start);
        const auto* found = std::find_if(std::begin(kFields), std::end(kFields),
                                         [&](const auto& f) { return f.first == word; });
        if (found == std::end(kFields) ||
            std::find(format.begin(), format.end(), found->second) != format.end()) {
            return fail();
        }
        format.push_back(found->second);
        start = comma + 1;
    }
    return format;
}

std::string tai64n(std::chrono::system_clock::time_point time) {
    const auto nanos =
        std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
    const auto seconds = static_cast<std::uint64_t>(nanos / 1'000'000'000);
    const auto fraction = static_cast<std::uint32_t>(nanos % 1'000'000'000);
    return fmt::format("@{:016x}{:08x}", (std::uint64_t{1} << 62) + 10 + seconds, fraction);
}

std::string format_prefixed(std::string_view service, const LogLine& line) {
    return format_prefixed(service, line, default_prefix_format());
}

std::string format_prefixed(std::string_view service, const LogLine& line,
                            const PrefixFormat& format) {
    std::string out;
    out.reserve(service.size() + line.text.size() + 4 + format.size() * 28);
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (i > 0) out.push_back(' ');
        switch (format[i]) {
            case PrefixField::Name:
                out.append(service);
                break;
            case PrefixField::Stream:
                out.append(to_string(line.stream));
                break;
            case PrefixField::Rfc3339:
                out.append(rfc3339(line.time));
                break;
            case PrefixField::Tai64n:
                out.append(tai64n(line.time));
                break;
        }
    }
    out.append(line.continued ? " + " : " | ");
    out.append(line.text);
    out.push_back('\n');
    return out;
}

std::string format_json(std::string_view service, const LogLine& line) {
    std::string out;
    out.reserve(line.text.size() + service.size() + 80);
    out.append("{\"ts\":\"");
    out.append(rfc3339(line.time));
    out.append("\",\"service\":");
    append_json_string(out, service);
    out.append(",\"stream\":\"");
    out.append(to_string(line.stream));
    out.append("\",\"msg\":");
    append_json_string(out, line.text);
    if (line.cut) out.append(",\"cut\":true");
    if (line.continued) out.append(",\"continued\":true");
    out.append("}\n");
    return out;
}

}  // namespace svinit::services
