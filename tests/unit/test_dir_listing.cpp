#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/dir_listing.h"
#include "config/script_dir.h"
#include "temp_tree.h"

using svinit::config::executables_in;
using svinit::config::list_dir;
using namespace svinit::test;

TEST_CASE("list_dir: sorted names, hidden ones on request, a bound, errors as values",
          "[config]") {
    TempDir dir("svinit-listing");
    for (const char* name : {"b", "a", ".hidden", "c"}) write_file(dir.path / name, kPlain);

    auto visible = list_dir(dir.path, 10, false);
    CHECK(visible.names == std::vector<std::string>{"a", "b", "c"});
    CHECK_FALSE(visible.error);
    CHECK_FALSE(visible.truncated);
    CHECK(list_dir(dir.path, 10, true).names ==
          std::vector<std::string>{".hidden", "a", "b", "c"});

    auto bounded = list_dir(dir.path, 2, false);
    CHECK(bounded.truncated);
    CHECK(bounded.names.size() == 2);

    auto missing = list_dir(dir.path / "nope", 10, false);
    CHECK(missing.error == std::errc::no_such_file_or_directory);
    CHECK(missing.names.empty());
}

TEST_CASE("executables_in: my_init's sorted executable files, hidden ones included",
          "[config]") {
    TempDir dir("svinit-scripts");
    write_file(dir.path / "20_b", kExecutable);
    write_file(dir.path / "10_a", kExecutable);
    write_file(dir.path / ".5_hidden", kExecutable);
    write_file(dir.path / "15_plain", kPlain);
    std::filesystem::create_directories(dir.path / "12_dir");
    CHECK(executables_in(dir.path) ==
          std::vector<std::string>{(dir.path / ".5_hidden").string(), (dir.path / "10_a").string(),
                                   (dir.path / "20_b").string()});
    CHECK(executables_in(dir.path / "missing").empty());
}
