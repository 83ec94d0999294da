// env-file: KEY=VALUE lines, and every bad line reported with its number.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/env_file.h"

using svinit::config::Diagnostics;
using svinit::config::EnvVariable;
using svinit::config::parse_env_file;

namespace {

std::vector<std::string> describe(Diagnostics& diags) {
    std::vector<std::string> out;
    for (const auto& d : diags.take()) out.push_back(d.describe());
    return out;
}

}  // namespace

TEST_CASE("env-file lines", "[config][env_file]") {
    Diagnostics diags;
    const auto vars = parse_env_file(
        "# comment\n"
        "\n"
        "MODE=prod\n"
        "  export PORT=8080\n"
        "GREETING=\"hello world\"\n"
        "QUOTE='it''s'\n"
        "EQUALS=a=b=c\n"
        "EMPTY=\n"
        "SPACES= kept \n"
        "CRLF=yes\r\n"
        "HALF=\"open\n"
        "MODE=dev",
        "/x.env", diags);
    CHECK(describe(diags).empty());
    CHECK(vars == std::vector<EnvVariable>{{"MODE", "prod", 3},
                                           {"PORT", "8080", 4},
                                           {"GREETING", "hello world", 5},
                                           {"QUOTE", "it''s", 6},
                                           {"EQUALS", "a=b=c", 7},
                                           {"EMPTY", "", 8},
                                           {"SPACES", " kept ", 9},
                                           {"CRLF", "yes", 10},
                                           {"HALF", "\"open", 11},
                                           {"MODE", "dev", 12}});
}

TEST_CASE("bad env-file lines are reported with their line, good ones kept", "[config][env_file]") {
    using namespace std::string_literals;
    Diagnostics diags;
    const auto vars =
        parse_env_file("A=1\nno equals sign\n1BAD=x\nB-C=y\nD=2\nE=\0x\n"s, "/x.env", diags);
    CHECK(vars == std::vector<EnvVariable>{{"A", "1", 1}, {"D", "2", 5}});
    CHECK(describe(diags) ==
          std::vector<std::string>{
              "/x.env:2: expected NAME=VALUE, got \"no equals sign\"",
              "/x.env:3: \"1BAD\" is not a variable name (letters, digits and _, not starting "
              "with a digit)",
              "/x.env:4: \"B-C\" is not a variable name (letters, digits and _, not starting "
              "with a digit)",
              "/x.env:6: contains a NUL byte"});
}

TEST_CASE("an env-file holds at most so many variables", "[config][env_file]") {
    std::string text;
    for (std::size_t i = 0; i <= svinit::config::kMaxEnvironment; ++i) {
        text += "V" + std::to_string(i) + "=x\n";
    }
    Diagnostics diags;
    const auto vars = parse_env_file(text, "/x.env", diags);
    CHECK(vars.size() == svinit::config::kMaxEnvironment);
    CHECK(describe(diags) == std::vector<std::string>{"/x.env:1025: more than 1024 variables; "
                                                      "the rest are ignored"});
}
