#include "config/dir_listing.h"

#include <algorithm>

namespace svinit::config {

DirListing list_dir(const std::filesystem::path& dir, std::size_t max, bool include_hidden) {
    DirListing listing;
    std::filesystem::directory_iterator it(dir, listing.error);
    for (const std::filesystem::directory_iterator end; !listing.error && it != end;
         it.increment(listing.error)) {
        std::string name = it->path().filename().string();
        if (!include_hidden && name.starts_with('.')) continue;
        if (listing.names.size() >= max) {
            listing.truncated = true;
            break;
        }
        listing.names.push_back(std::move(name));
    }
    std::ranges::sort(listing.names);
    return listing;
}

}  // namespace svinit::config
