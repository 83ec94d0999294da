#pragma once
// Finds a supervised program by the path of its directory, without touching the disk for
// every service: each directory is identified once, when the service is added (its path
// made lexically normal, and its device and inode), and a path asked about costs a map
// look-up, plus at most one stat(2) when the path is not one of the known spellings
// (a symlink, another relative spelling). Resolving a request that names thousands of
// paths over thousands of services is thus linear in the paths, not their product.

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace svinit::services {

// A directory's identity: device and inode, as stat(2) gives them (symlinks followed).
using DirId = std::pair<dev_t, ino_t>;

class DirIndex {
public:
    // How a path becomes an identity; stat(2) unless a test counts the calls.
    using Identify = std::function<std::optional<DirId>(const std::string& path)>;

    explicit DirIndex(Identify identify = {});

    // Indexes `dir` under `name` ("web", "web/log"); replaces what `name` had. Identifies
    // the directory once, now.
    void add(const std::string& name, const std::filesystem::path& dir);
    void remove(const std::string& name);

    // The name whose directory `path` is: first by its lexically normal spelling, then by
    // identity (one call of Identify).
    std::optional<std::string> find(std::string_view path) const;

    // The lexically normal spelling find() compares: "web/" and "./x/../web" are "web".
    static std::string normal(std::string_view path);

private:
    struct Entry {
        std::string path;  // normal()
        std::optional<DirId> id;
    };

    Identify identify_;
    std::map<std::string, Entry, std::less<>> by_name_;
    std::map<std::string, std::string, std::less<>> by_path_;
    std::map<DirId, std::string> by_id_;
};

}  // namespace svinit::services
