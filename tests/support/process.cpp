#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

#include "support/procfs.h"

namespace svinit::test {
namespace {

using Clock = std::chrono::steady_clock;

// What is left of the way to deadline, rounded up to whole milliseconds for poll().
int poll_timeout(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<Millis>(deadline - Clock::now());
    return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

std::string join(const std::vector<std::string>& argv) {
    std::string joined;
    for (const std::string& arg : argv) {
        if (!joined.empty()) joined += ' ';
        joined += arg;
    }
    return joined;
}

// posix_spawn's attributes and file actions, destroyed on every way out.
struct SpawnSetup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    SpawnSetup() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
};

}  // namespace

int decode_wait_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

Process Process::spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
    REQUIRE_FALSE(argv.empty());
    const std::string name = join(argv);
    int out[2];
    int err[2];
    if (pipe2(out, O_CLOEXEC) != 0) FAIL("pipe2: " << std::strerror(errno));
    UniqueFd out_read(out[0]);
    UniqueFd out_write(out[1]);
    if (pipe2(err, O_CLOEXEC) != 0) FAIL("pipe2: " << std::strerror(errno));
    UniqueFd err_read(err[0]);
    UniqueFd err_write(err[1]);
    if (!options.read_stderr && fcntl(err_write.get(), F_SETPIPE_SZ, 4096) < 0) {
        FAIL("F_SETPIPE_SZ: " << std::strerror(errno));
    }

    SpawnSetup setup;
    // Its own process group, so kill(-pid) reaches everything it starts; and a clean signal
    // state (Catch2 installs crash handlers) that svinit's child reset must not depend on.
    sigset_t no_signals;
    sigemptyset(&no_signals);
    sigset_t all_signals;
    sigfillset(&all_signals);
    sigdelset(&all_signals, SIGKILL);
    sigdelset(&all_signals, SIGSTOP);
    posix_spawnattr_setflags(
        &setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&setup.attr, 0);
    posix_spawnattr_setsigmask(&setup.attr, &no_signals);
    posix_spawnattr_setsigdefault(&setup.attr, &all_signals);
    posix_spawn_file_actions_adddup2(&setup.actions, out_write.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&setup.actions, err_write.get(), STDERR_FILENO);
    if (options.stdin_dev_null) {
        posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    }
    if (!options.cwd.empty()) {
        posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd.c_str());
    }

    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ);
    if (rc != 0) FAIL("cannot start " << name << ": " << std::strerror(rc));

    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd.valid()) {
        const int saved = errno;
        ::kill(-pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        FAIL("pidfd_open " << pid << ": " << std::strerror(saved));
    }
    fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
    fcntl(err_read.get(), F_SETFL, O_NONBLOCK);
    if (!options.read_stderr) {
        Process process(pid, std::move(pidfd), std::move(out_read), UniqueFd(), name);
        process.unread_err_ = std::move(err_read);
        return process;
    }
    return Process(pid, std::move(pidfd), std::move(out_read), std::move(err_read), name);
}

Process::Process(pid_t pid, UniqueFd pidfd, UniqueFd out, UniqueFd err, std::string name)
    : pid_(pid),
      pidfd_(std::move(pidfd)),
      out_(std::move(out)),
      err_(std::move(err)),
      name_(std::move(name)) {}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      out_(std::move(other.out_)),
      err_(std::move(other.err_)),
      unread_err_(std::move(other.unread_err_)),
      name_(std::move(other.name_)),
      out_buffer_(std::move(other.out_buffer_)),
      err_text_(std::move(other.err_text_)),
      status_(other.status_) {}

Process::~Process() {
    kill_all();
}

void Process::kill_all() noexcept {
    if (pid_ <= 0 || status_) return;  // once reaped, the pid may belong to someone else
    try {
        // Children first: svinit, forked by unshare, may have left unshare's process group.
        const std::vector<pid_t> children = children_of(pid_);
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        for (pid_t child : children) ::kill(child, SIGKILL);
    } catch (...) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
    }
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = decode_wait_status(status);
    pidfd_.reset();
}

void Process::read_into(UniqueFd& fd, std::string& buffer) {
    char chunk[4096];
    while (fd.valid()) {
        const ssize_t got = ::read(fd.get(), chunk, sizeof chunk);
        if (got > 0) {
            buffer.append(chunk, static_cast<size_t>(got));
        } else if (got < 0 && errno == EINTR) {
            continue;
        } else if (got < 0 && errno == EAGAIN) {
            return;
        } else {
            fd.reset();  // EOF (or an error, which ends the stream just the same)
        }
    }
}

Process::Ready Process::pump(Clock::time_point deadline, bool watch_exit) {
    for (;;) {
        pollfd fds[3];
        nfds_t count = 0;
        if (out_.valid()) fds[count++] = {out_.get(), POLLIN, 0};
        if (err_.valid()) fds[count++] = {err_.get(), POLLIN, 0};
        const bool exit_watched = watch_exit && pidfd_.valid();
        if (exit_watched) fds[count++] = {pidfd_.get(), POLLIN, 0};
        if (count == 0) return Ready::Output;  // both pipes at EOF: nothing more will come

        const int ready = poll(fds, count, poll_timeout(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) FAIL("poll: " << std::strerror(errno));
        if (ready == 0) return Ready::TimedOut;
        read_into(out_, out_buffer_);
        read_into(err_, err_text_);
        if (exit_watched && fds[count - 1].revents != 0) return Ready::Exited;
        return Ready::Output;
    }
}

std::optional<std::string> Process::read_line(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const size_t end = out_buffer_.find('\n');
        if (end != std::string::npos) {
            std::string line = out_buffer_.substr(0, end);
            out_buffer_.erase(0, end + 1);
            return line;
        }
        if (!out_.valid()) {
            if (out_buffer_.empty()) return std::nullopt;
            return std::exchange(out_buffer_, {});  // a last line without '\n'
        }
        if (pump(deadline, false) == Ready::TimedOut) return std::nullopt;
    }
}

std::optional<std::string> Process::read_some(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    while (out_buffer_.empty()) {
        if (!out_.valid()) return std::nullopt;
        if (pump(deadline, false) == Ready::TimedOut) return std::nullopt;
    }
    return std::exchange(out_buffer_, {});
}

int Process::wait(Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!status_) {
        const Ready ready = pump(deadline, true);
        if (ready == Ready::TimedOut) {
            kill_all();
            read_into(err_, err_text_);
            FAIL(name_ << "\ndid not exit within " << timeout.count()
                       << " ms (hang guard); its stderr:\n"
                       << err_text_);
        }
        if (ready == Ready::Exited) {
            int status = 0;
            while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
            }
            status_ = decode_wait_status(status);
            pidfd_.reset();
        }
    }
    // Under unshare every writer is gone once the process is; the bound only guards against
    // a writer that escaped.
    const auto drain_deadline = Clock::now() + std::chrono::seconds(2);
    while ((out_.valid() || err_.valid()) && pump(drain_deadline, false) != Ready::TimedOut) {
    }
    return *status_;
}

const std::string& Process::stderr_text() {
    read_into(err_, err_text_);
    return err_text_;
}

}  // namespace svinit::test
