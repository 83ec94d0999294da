// Shared by the TOML configuration tests: a temp dir holding a main file, service files and
// runit directories, loaded with nothing from the machine's /etc.

#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_loader.h"
#include "temp_tree.h"

namespace svinit::test {

struct TomlFixture {
    TempDir tmp{"svinit-toml"};

    std::filesystem::path file(std::string_view name) const { return tmp.path / name; }

    void write(std::string_view name, std::string_view text) const {
        write_file(file(name), kPlain, text);
    }

    // What load_config reads with --config svinit.toml (when given) and no flags.
    config::LoadRequest request(bool with_main_file = true) const {
        config::LoadRequest r;
        if (with_main_file) r.config_file = file("svinit.toml");
        r.default_config_file = file("absent/svinit.toml");
        r.default_toml_service_dir = file("absent/services.d");
        return r;
    }

    config::LoadedConfig load(std::string_view main_text) const {
        write("svinit.toml", main_text);
        return config::load_config(request());
    }

    // Every error, with the temp dir's path left out: "svinit.toml:3:11: ...".
    std::vector<std::string> errors(const config::LoadedConfig& loaded) const {
        std::vector<std::string> out;
        const std::string prefix = tmp.path.string() + "/";
        for (const auto& error : loaded.errors) {
            std::string text = error.describe();
            for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix)) {
                text.erase(at, prefix.size());
            }
            out.push_back(std::move(text));
        }
        return out;
    }

    // The errors of a main file holding `text`, which must not load.
    std::vector<std::string> errors_of(std::string_view text) const {
        auto loaded = load(text);
        return errors(loaded);
    }

    // The only error of a main file holding `text`.
    std::string error_of(std::string_view text) const {
        auto all = errors_of(text);
        INFO(text);
        REQUIRE(all.size() == 1);
        return all.front();
    }

    // The one service of a valid main file.
    services::ServiceSpec service_of(std::string_view text) const {
        auto loaded = load(text);
        INFO(text);
        const auto all = errors(loaded);
        CAPTURE(all);
        REQUIRE(loaded.ok());
        REQUIRE(loaded.services.size() == 1);
        return loaded.services.front();
    }
};

}  // namespace svinit::test
