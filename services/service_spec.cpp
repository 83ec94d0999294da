#include "services/service_spec.h"

#include <fmt/format.h>

namespace svinit::services {

std::string Diagnostic::describe() const {
    if (line > 0) return fmt::format("{}:{}: {}", file.string(), line, message);
    return fmt::format("{}: {}", file.string(), message);
}

}  // namespace svinit::services
