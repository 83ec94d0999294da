#include "config/diagnostics.h"

#include <fmt/format.h>

#include <utility>

namespace svinit::config {

void Diagnostics::add(services::Diagnostic diagnostic) {
    if (list_.size() >= max_) {
        ++dropped_;
        return;
    }
    last_file_ = diagnostic.file;
    list_.push_back(std::move(diagnostic));
}

void Diagnostics::add(const std::filesystem::path& file, int line, int column,
                      std::string message) {
    add(services::Diagnostic{file, line, std::move(message), column});
}

void Diagnostics::add_all(std::vector<services::Diagnostic> diagnostics) {
    for (auto& diagnostic : diagnostics) add(std::move(diagnostic));
}

std::vector<services::Diagnostic> Diagnostics::take() {
    auto out = std::move(list_);
    list_.clear();
    if (dropped_ > 0) {
        out.push_back(services::Diagnostic{last_file_, 0,
                                           fmt::format("{} more problems not shown", dropped_), 0});
        dropped_ = 0;
    }
    return out;
}

}  // namespace svinit::config
