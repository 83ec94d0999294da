#pragma once
// Collecting every problem in a configuration at once, with a bound: a hostile file with a
// million bad keys must not make PID 1 hold a million messages.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "services/service_spec.h"

namespace svinit::config {

inline constexpr std::size_t kMaxDiagnostics = 1000;

class Diagnostics {
public:
    explicit Diagnostics(std::size_t max = kMaxDiagnostics) : max_(max) {}

    void add(services::Diagnostic diagnostic);
    void add(const std::filesystem::path& file, int line, int column, std::string message);
    void add(const std::filesystem::path& file, std::string message) {
        add(file, 0, 0, std::move(message));
    }
    void add_all(std::vector<services::Diagnostic> diagnostics);

    bool empty() const noexcept { return list_.empty() && dropped_ == 0; }
    std::size_t count() const noexcept { return list_.size() + dropped_; }
    // The problems in the order found, and, when some were left out, a last line saying
    // how many.
    std::vector<services::Diagnostic> take();

private:
    std::size_t max_;
    std::vector<services::Diagnostic> list_;
    std::size_t dropped_ = 0;
    std::filesystem::path last_file_;  // of the last one kept, for the summary line
};

}  // namespace svinit::config
