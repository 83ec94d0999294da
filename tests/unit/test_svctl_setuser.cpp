#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/become_user.h"
#include "svctl/setuser.h"

namespace {

auto parse(std::vector<std::string_view> args) {
    return svinit::svctl::parse_setuser_args(args);
}

using Words = std::vector<std::string>;

}  // namespace

TEST_CASE("setuser takes USER, then COMMAND and its arguments verbatim", "[setuser]") {
    auto args = parse({"nobody", "id", "-u"});
    REQUIRE(args);
    CHECK_FALSE(args->help);
    CHECK(args->user == "nobody");
    CHECK(args->command == Words{"id", "-u"});

    // Options after USER are the command's, --help and -- included.
    auto passed = parse({"www-data", "ls", "--help", "--", "-l"});
    REQUIRE(passed);
    CHECK(passed->command == Words{"ls", "--help", "--", "-l"});

    auto numeric = parse({"1000", "sh"});
    REQUIRE(numeric);
    CHECK(numeric->user == "1000");
    CHECK(numeric->command == Words{"sh"});
}

TEST_CASE("setuser: -- before USER, help, and usage errors", "[setuser]") {
    auto dashed = parse({"--", "-odd", "cmd"});
    REQUIRE(dashed);
    CHECK(dashed->user == "-odd");
    CHECK(dashed->command == Words{"cmd"});

    CHECK(parse({"-h"})->help);
    CHECK(parse({"--help", "x", "y"})->help);

    auto none = parse({});
    REQUIRE_FALSE(none);
    CHECK(none.error().message() == "missing user");
    auto no_command = parse({"nobody"});
    REQUIRE_FALSE(no_command);
    CHECK(no_command.error().message() == "missing command");
    CHECK(parse({"--", "nobody"}).error().message() == "missing command");
    CHECK(parse({"", "id"}).error().message() == "empty user name");
    CHECK(parse({"-x", "nobody", "id"}).error().message() == "unknown option '-x'");
}

TEST_CASE("users are looked up by name, else by numeric uid", "[setuser]") {
    using svinit::core::lookup_user;
    auto root = lookup_user("root");
    REQUIRE(root);
    REQUIRE(*root);
    CHECK((*root)->name == "root");
    CHECK((*root)->uid == 0);
    CHECK((*root)->gid == 0);

    auto by_uid = lookup_user("0");
    REQUIRE(by_uid);
    REQUIRE(*by_uid);
    CHECK((*by_uid)->name == "root");

    for (std::string_view unknown : {"svinit-no-such-user", "4294967294x", "", "-1"}) {
        INFO(unknown);
        auto missing = lookup_user(unknown);
        REQUIRE(missing);
        CHECK_FALSE(*missing);
    }
}
