#include "services/dir_index.h"

#include <sys/stat.h>

namespace svinit::services {
namespace {

std::optional<DirId> stat_identity(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return std::nullopt;
    return DirId{st.st_dev, st.st_ino};
}

}  // namespace

DirIndex::DirIndex(Identify identify)
    : identify_(identify ? std::move(identify) : Identify(stat_identity)) {}

std::string DirIndex::normal(std::string_view path) {
    auto p = std::filesystem::path(path).lexically_normal();
    if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();  // "web/" -> "web"
    return p.string();
}

void DirIndex::add(const std::string& name, const std::filesystem::path& dir) {
    remove(name);
    Entry entry{normal(dir.string()), identify_(dir.string())};
    // Two names for one directory (a symlinked twin): the first keeps the path.
    by_path_.emplace(entry.path, name);
    if (entry.id) by_id_.emplace(*entry.id, name);
    by_name_.emplace(name, std::move(entry));
}

void DirIndex::remove(const std::string& name) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return;
    const Entry& entry = it->second;
    if (auto p = by_path_.find(entry.path); p != by_path_.end() && p->second == name) {
        by_path_.erase(p);
    }
    if (entry.id) {
        if (auto i = by_id_.find(*entry.id); i != by_id_.end() && i->second == name) {
            by_id_.erase(i);
        }
    }
    by_name_.erase(it);
}

std::optional<std::string> DirIndex::find(std::string_view path) const {
    if (auto p = by_path_.find(normal(path)); p != by_path_.end()) return p->second;
    if (by_id_.empty()) return std::nullopt;
    const auto id = identify_(std::string(path));
    if (!id) return std::nullopt;
    if (auto i = by_id_.find(*id); i != by_id_.end()) return i->second;
    return std::nullopt;
}

}  // namespace svinit::services
