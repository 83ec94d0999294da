#include "support/services.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/procfs.h"

namespace svinit::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int poll_timeout(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<Millis>(deadline - Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

std::optional<pid_t> parse_pid(std::string_view text) {
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
    return pid;
}

// The last field of the NSpid line of /proc/PID/status: the pid in the innermost namespace.
std::optional<pid_t> innermost_pid(pid_t pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(file, line)) {
        if (!line.starts_with("NSpid:")) continue;
        std::istringstream fields(line.substr(6));
        pid_t last = 0;
        pid_t field = 0;
        while (fields >> field) last = field;
        if (last > 0) return last;
    }
    return std::nullopt;
}

// connect() to a unix socket: 0, or the errno.
int try_connect(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) FAIL("socket: " << std::strerror(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return 0;
    return errno;
}

}  // namespace

void write_file(const std::string& path, std::string_view text, mode_t mode) {
    const std::string temp = path + ".new";
    {
        std::ofstream file(temp, std::ios::binary | std::ios::trunc);
        file << text;
        file.close();
        if (!file) FAIL("cannot write " << temp);
    }
    if (::chmod(temp.c_str(), mode) != 0) FAIL("chmod " << temp << ": " << std::strerror(errno));
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        FAIL("rename " << temp << " to " << path << ": " << std::strerror(errno));
    }
}

std::vector<std::string> numbered_names(std::string_view prefix, int count) {
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
        char number[16];
        std::snprintf(number, sizeof number, "%03d", i);
        names.push_back(std::string(prefix) + number);
    }
    return names;
}

std::string shell_script(std::string_view body) {
    return "#!/bin/sh\n" + std::string(body) + "\n";
}

void write_service(const std::string& dir, const ServiceFiles& files) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) FAIL("mkdir " << dir << ": " << ec.message());
    if (files.down) write_file(dir + "/down", "");
    if (!files.finish.empty()) write_file(dir + "/finish", files.finish, 0755);
    if (!files.log_run.empty()) {
        std::filesystem::create_directories(dir + "/log", ec);
        if (ec) FAIL("mkdir " << dir << "/log: " << ec.message());
        write_file(dir + "/log/run", files.log_run, 0755);
    }
    write_file(dir + "/run", files.run, 0755);
}

EventFifo::EventFifo(std::string path) : path_(std::move(path)) {
    if (::mkfifo(path_.c_str(), 0600) != 0)
        FAIL("mkfifo " << path_ << ": " << std::strerror(errno));
    fd_.reset(::open(path_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd_.valid()) FAIL("open " << path_ << ": " << std::strerror(errno));
}

std::optional<std::string> EventFifo::read_line(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const size_t end = buffer_.find('\n');
        if (end != std::string::npos) {
            std::string line = buffer_.substr(0, end);
            buffer_.erase(0, end + 1);
            return line;
        }
        pollfd fd{fd_.get(), POLLIN, 0};
        const int ready = ::poll(&fd, 1, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) FAIL("poll " << path_ << ": " << std::strerror(errno));
        if (ready == 0) return std::nullopt;
        char chunk[4096];
        const ssize_t got = ::read(fd_.get(), chunk, sizeof chunk);
        if (got > 0) buffer_.append(chunk, static_cast<size_t>(got));
    }
}

std::ostream& operator<<(std::ostream& out, const CommandResult& result) {
    out << "exit status " << result.status << "\nstdout:\n";
    for (const std::string& line : result.lines) out << "  " << line << "\n";
    return out << "stderr:\n" << result.err;
}

CommandResult run_command(const std::vector<std::string>& argv, Millis timeout) {
    Process process = Process::spawn(argv);
    CommandResult result;
    result.status = process.wait(timeout);
    while (std::optional<std::string> line = process.read_line(0ms)) result.lines.push_back(*line);
    result.err = process.stderr_text();
    return result;
}

bool wait_gone(pid_t pid, Millis timeout) {
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd.valid()) {
        if (errno == ESRCH) return true;
        FAIL("pidfd_open " << pid << ": " << std::strerror(errno));
    }
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd fd{pidfd.get(), POLLIN, 0};
        const int ready = ::poll(&fd, 1, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) FAIL("poll pidfd " << pid << ": " << std::strerror(errno));
        return ready > 0;
    }
}

Supervision::Supervision(const Harness& harness)
    : harness_(harness),
      service_root_(harness.dir() + "/service"),
      socket_(harness.dir() + "/control.sock"),
      events_(harness.dir() + "/events") {
    std::error_code ec;
    std::filesystem::create_directories(service_root_, ec);
    if (ec) FAIL("mkdir " << service_root_ << ": " << ec.message());
}

std::string Supervision::service_path(std::string_view name) const {
    return service_root_ + "/" + std::string(name);
}

std::string Supervision::sleeper(std::string_view name, std::string_view prelude) const {
    std::string body(prelude);
    if (!body.empty()) body += "\n";
    body += "echo \"" + std::string(name) + " $$\" > '" + events_.path() + "'\nexec sleep 100000";
    return shell_script(body);
}

void Supervision::add(std::string_view name, const ServiceFiles& files) const {
    write_service(service_path(name), files);
}

void Supervision::start(const std::vector<std::string>& options) {
    REQUIRE_FALSE(svinit_.has_value());
    std::vector<std::string> all{"--service-dir", service_root_, "--control-socket", socket_};
    all.insert(all.end(), options.begin(), options.end());
    svinit_.emplace(harness_.start(all, {}));
    wait_for_socket(10s);
    const std::optional<pid_t> pid = svinit_host_pid(*svinit_);
    INFO("svinit's log:\n" << log());
    REQUIRE(pid.has_value());
    host_pid_ = *pid;
}

void Supervision::wait_for_socket(Millis timeout) {
    // Watch first, then look: a socket created in between still wakes the poll below.
    UniqueFd inotify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify.valid()) FAIL("inotify_init1: " << std::strerror(errno));
    if (::inotify_add_watch(inotify.get(), dir().c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
        FAIL("inotify_add_watch " << dir() << ": " << std::strerror(errno));
    }
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const int error = try_connect(socket_);
        if (error == 0) return;
        const std::optional<char> state = process_state(svinit_->pid());
        if (!state || *state == 'Z')
            FAIL("svinit exited before its control socket was up:\n" << log());
        if (Clock::now() >= deadline) {
            FAIL("the control socket "
                 << socket_ << " did not accept connections within " << timeout.count()
                 << " ms (last error: " << std::strerror(error) << "); svinit's log:\n"
                 << log());
        }
        if (error == ECONNREFUSED) {
            // A stale socket file, about to be replaced by svinit's (which appears only
            // once it listens).
            std::this_thread::sleep_for(2ms);
            continue;
        }
        // Not there yet: wait for something to appear in the directory. The slice bounds
        // how late an early exit of svinit is noticed.
        pollfd fd{inotify.get(), POLLIN, 0};
        ::poll(&fd, 1, std::min(poll_timeout(deadline), 200));
        char events[4096];
        while (::read(inotify.get(), events, sizeof events) > 0) {
        }
    }
}

std::string Supervision::log() {
    if (!svinit_) return "(svinit not started)";
    return svinit_->stderr_text();
}

CommandResult Supervision::svctl(const std::vector<std::string>& args, Millis timeout) {
    std::vector<std::string> argv{SVINIT_BIN_DIR "/svctl", "--socket", socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = run_command(argv, timeout);
    log();  // keeps svinit's stderr pipe drained
    return result;
}

CommandResult Supervision::svctl_ok(const std::vector<std::string>& args, Millis timeout) {
    CommandResult result = svctl(args, timeout);
    std::string command = "svctl";
    for (const std::string& arg : args) command += " " + arg;
    INFO(command << "\n" << result << "\nsvinit's log:\n" << log());
    REQUIRE(result.status == 0);
    return result;
}

CommandResult Supervision::sv(const std::vector<std::string>& args, Millis timeout) {
    std::vector<std::string> argv{"env", "SVINIT_SOCKET=" + socket_, SVINIT_BIN_DIR "/sv"};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandResult result = run_command(argv, timeout);
    log();
    return result;
}

nlohmann::json Supervision::status(std::string_view service) {
    const CommandResult result = svctl_ok({"--json", "status", std::string(service)});
    INFO("svctl --json status " << service << "\n" << result);
    REQUIRE(result.lines.size() == 1);
    const nlohmann::json doc = nlohmann::json::parse(result.lines[0], nullptr, false);
    REQUIRE_FALSE(doc.is_discarded());
    REQUIRE(doc.contains("services"));
    REQUIRE(doc["services"].size() == 1);
    return doc["services"][0];
}

pid_t Supervision::pid(std::string_view service) {
    const nlohmann::json status = this->status(service);
    INFO("status of " << service << ": " << status.dump());
    REQUIRE(status.contains("pid"));
    return status["pid"].get<pid_t>();
}

pid_t Supervision::log_pid(std::string_view service) {
    const nlohmann::json status = this->status(service);
    INFO("status of " << service << ": " << status.dump());
    REQUIRE(status.contains("log"));
    if (status["log"].is_null()) return 0;
    return status["log"]["pid"].get<pid_t>();
}

std::optional<pid_t> Supervision::host_pid_of(pid_t ns_pid) const {
    for (const pid_t child : children_of(host_pid_)) {
        if (innermost_pid(child) == ns_pid) return child;
    }
    return std::nullopt;
}

std::string Supervision::next_event(Millis timeout) {
    const std::optional<std::string> line = events_.read_line(timeout);
    INFO("waited " << timeout.count() << " ms for an event on " << events_.path()
                   << "; svinit's log:\n"
                   << log());
    REQUIRE(line.has_value());
    return *line;
}

pid_t Supervision::next_start(std::string_view name, Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    const std::string prefix = std::string(name) + " ";
    std::vector<std::string> skipped;
    for (;;) {
        const std::optional<std::string> line =
            events_.read_line(std::chrono::ceil<Millis>(deadline - Clock::now()));
        INFO("waiting for \"" << name << " PID\"; other events: "
                              << Catch::Detail::stringify(skipped) << "\nsvinit's log:\n"
                              << log());
        REQUIRE(line.has_value());
        if (line->starts_with(prefix)) {
            const std::optional<pid_t> pid =
                parse_pid(std::string_view(*line).substr(prefix.size()));
            REQUIRE(pid.has_value());
            return *pid;
        }
        skipped.push_back(*line);
    }
}

int Supervision::stop(Millis timeout) {
    REQUIRE(svinit_.has_value());
    REQUIRE(::kill(host_pid_, SIGTERM) == 0);
    return svinit_->wait(timeout);
}

}  // namespace svinit::test
