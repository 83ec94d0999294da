#include "services/check_run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include "services/exec_plan.h"

namespace svinit::services {
namespace {

std::string seconds_text(Duration d) {
    return fmt::format("{:.1f}s", std::chrono::duration<double>(d).count());
}

}  // namespace

CheckRunner::CheckRunner(core::EventLoop& loop, core::ChildHost& children, std::string label,
                         const ProcessSpec& process)
    : loop_(loop), children_(children), label_(std::move(label)), process_(process) {}

void CheckRunner::start(const std::variant<ExecCheck, TcpCheck>& check, Duration limit, Done done) {
    cancel();
    limit_ = limit;
    done_ = std::move(done);
    auto armed = loop_.add_timer(limit, false, [this] {
        deadline_.release();
        kill_child();
        connect_.reset();
        finish({false, "timed out after " + seconds_text(limit_)});
    });
    if (!armed) return fail_soon(armed.error().message());
    deadline_ = std::move(*armed);
    if (const auto* exec = std::get_if<ExecCheck>(&check)) return start_exec(*exec);
    start_tcp(std::get<TcpCheck>(check));
}

void CheckRunner::start_exec(const ExecCheck& check) {
    auto options = exec_options(process_, check.command);
    if (!options)
        return fail_soon("cannot run " + check.command.front() + ": " + options.error().message());
    // Its output is not the service's: stdout is dropped, stderr goes where svinit's goes,
    // so a failing check can say why.
    core::UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!devnull) return fail_soon("open /dev/null: " + std::string(std::strerror(errno)));
    options->stdin_fd = devnull.get();
    options->stdout_fd = devnull.get();
    options->new_process_group = true;
    auto child = children_.spawn(*options, [this](const core::ChildExit& exit) {
        child_.release();
        if (exit.spawn_failure) {
            return finish({false, "cannot run: " + exit.spawn_failure->describe()});
        }
        const bool zero =
            exit.status.kind == core::ExitStatus::Kind::Exited && exit.status.value == 0;
        finish({zero, zero ? std::string("passed") : "exited with " + exit.status.describe()});
    });
    if (!child)
        return fail_soon("cannot start " + check.command.front() + ": " + child.error().message());
    child_ = std::move(*child);
}

void CheckRunner::start_tcp(const TcpCheck& check) {
    auto address = core::tcp_address(check.host, check.port);
    if (!address) return fail_soon(address.error().message());
    auto attempt = core::TcpConnect::start(loop_, *address, "", [this](core::Result<void> done) {
        // What finish() starts may drop connect_: a TcpConnect touches nothing of its own
        // once it reports.
        if (done) return finish({true, "passed"});
        finish({false, done.error().message()});
    });
    if (!attempt) return fail_soon(attempt.error().message());
    connect_ = std::move(*attempt);
}

// Reported through the deadline timer, re-armed at zero, so the outcome still comes from
// the loop.
void CheckRunner::fail_soon(std::string detail) {
    deadline_.reset();
    auto armed = loop_.add_timer(Duration::zero(), false, [this, detail = std::move(detail)] {
        deadline_.release();
        finish({false, detail});
    });
    if (armed) {
        deadline_ = std::move(*armed);
    } else {
        spdlog::error("{}: {}; and no timer to report it: {}", label_, detail,
                      armed.error().message());
        done_ = nullptr;
    }
}

void CheckRunner::finish(CheckOutcome outcome) {
    deadline_.reset();
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(outcome);  // may start the next try or destroy this runner: last
}

void CheckRunner::kill_child() {
    if (!child_) return;
    // The check's own process group, so what it started goes too; then it is reaped as
    // an orphan, and holds up nothing.
    (void)children_.signal_group(child_.id(), SIGKILL);
    child_.reset();
}

void CheckRunner::cancel() {
    kill_child();
    deadline_.reset();
    done_ = nullptr;
    connect_.reset();
}

}  // namespace svinit::services
