#include "support/procfs.h"

#include <fstream>
#include <sstream>
#include <string>

#include "support/process.h"

namespace svinit::test {

std::vector<pid_t> children_of(pid_t pid) {
    const std::string id = std::to_string(pid);
    std::ifstream file("/proc/" + id + "/task/" + id + "/children");
    std::vector<pid_t> children;
    pid_t child = 0;
    while (file >> child) children.push_back(child);
    return children;
}

std::optional<pid_t> svinit_host_pid(const Process& unshare) {
    const std::vector<pid_t> children = children_of(unshare.pid());
    if (children.size() != 1) return std::nullopt;
    return children.front();
}

std::optional<char> process_state(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(file, stat)) return std::nullopt;
    // The state follows the last ')': the command name in parentheses may hold one itself.
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || paren + 2 >= stat.size()) return std::nullopt;
    return stat[paren + 2];
}

std::optional<ContextSwitches> context_switches(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/status");
    ContextSwitches switches;
    int found = 0;
    std::string line;
    while (std::getline(file, line)) {
        std::istringstream fields(line);
        std::string key;
        fields >> key;
        if (key == "voluntary_ctxt_switches:" && fields >> switches.voluntary) ++found;
        if (key == "nonvoluntary_ctxt_switches:" && fields >> switches.nonvoluntary) ++found;
    }
    if (found != 2) return std::nullopt;
    return switches;
}

}  // namespace svinit::test
