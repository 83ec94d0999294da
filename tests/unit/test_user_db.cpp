// The passwd and group files svinit reads itself (a static svinit has no NSS).
#include <catch2/catch.hpp>

#include "core/user_db.h"

using svinit::core::find_group;
using svinit::core::find_user;
using svinit::core::member_groups;
using svinit::core::UserInfo;

namespace {
const std::string kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "www:x:33:34:www:/var/www:/bin/false\n"
    "bad:x:y:1:::\n"
    "short:x:5:5\n"
    "app:x:1000:1000::/home/app:/bin/sh";  // no newline at the end
const std::string kGroup =
    "root:x:0:\n"
    "www:x:34:\n"
    "audio:x:29:app,www\n"
    "video:x:44:www,application\n"
    "staff:x:50:appx\n"
    "broken:x:zz:app\n"
    "app:x:1000:\n";
}  // namespace

TEST_CASE("user db: a user by name or by number", "[user_db]") {
    CHECK(find_user(kPasswd, "www") == UserInfo{"www", 33, 34, "/var/www"});
    CHECK(find_user(kPasswd, "app") == UserInfo{"app", 1000, 1000, "/home/app"});
    CHECK(find_user(kPasswd, uid_t{33})->name == "www");
    CHECK_FALSE(find_user(kPasswd, "ww"));
    CHECK_FALSE(find_user(kPasswd, "bad"));    // a uid that is not a number
    CHECK_FALSE(find_user(kPasswd, "short"));  // too few fields
    CHECK_FALSE(find_user(kPasswd, uid_t{5}));
    CHECK_FALSE(find_user("", "root"));
}

TEST_CASE("user db: groups by name, and a user's groups as getgrouplist gives them",
          "[user_db]") {
    CHECK(find_group(kGroup, "audio") == gid_t{29});
    CHECK_FALSE(find_group(kGroup, "wheel"));
    CHECK_FALSE(find_group(kGroup, "broken"));
    // The primary group first, then each group naming the user exactly (not "appx" or
    // "application"), once.
    CHECK(member_groups(kGroup, "app", 1000) == std::vector<gid_t>{1000, 29});
    CHECK(member_groups(kGroup, "www", 34) == std::vector<gid_t>{34, 29, 44});
    CHECK(member_groups(kGroup, "nobody", 65534) == std::vector<gid_t>{65534});
}
