#pragma once
// Matching sv/svctl status lines against patterns that embed paths and names.

#include <regex>
#include <string>
#include <string_view>

namespace svinit::test {

// text with every regex metacharacter escaped, to embed a path in a pattern.
inline std::string regex_escape(std::string_view text) {
    static const std::string special = R"(\^$.|?*+()[]{}/)";
    std::string escaped;
    for (const char c : text) {
        if (special.find(c) != std::string::npos) escaped += '\\';
        escaped += c;
    }
    return escaped;
}

// True when the whole line matches pattern (ECMAScript syntax).
inline bool matches(const std::string& line, const std::string& pattern) {
    return std::regex_match(line, std::regex(pattern));
}

}  // namespace svinit::test
