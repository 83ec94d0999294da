#include "svctl/sv.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/exit_codes.h"
#include "svctl/client.h"
#include "svctl/format.h"

namespace svinit::svctl {
namespace {

using control::ErrorCode;
using control::RequestKind;
using services::State;
using services::WaitTarget;
using Results = std::vector<std::optional<control::ServiceResult>>;
using Plan = std::vector<SvCheck>;  // per service (argument index): what to check for

bool reached(const services::ServiceStatus& status, WaitTarget target) {
    State state = status.main.state;
    if (target == WaitTarget::Up) return state == State::Run;
    return state == State::Down || state == State::Failed;
}

// One sv invocation. Like sv.c it keeps a count of failed services (rc_) and drops a
// service from the later steps as soon as something about it failed.
class SvSession {
public:
    SvSession(const SvArgs& args, const RunContext& context) : args_(args), context_(context) {
        for (const auto& name : args.services)
            wire_.push_back(wire_service_name(name, context.cwd));
        alive_.assign(args.services.size(), true);
    }

    int run() {
        deadline_ = context_.steady_now() + args_.wait;
        std::vector<std::size_t> all;
        for (std::size_t i = 0; i < args_.services.size(); ++i) all.push_back(i);
        switch (args_.action) {
            case SvAction::Status:
                print_status(all);
                break;
            case SvAction::Control:
                control_then_check(all);
                break;
            case SvAction::Check:
                check_ready(all);
                break;
            case SvAction::TryRestart:
                try_restart(all);
                break;
        }
        return static_cast<int>(std::min(rc_, 99u));
    }

private:
    void print_status(const std::vector<std::size_t>& all) {
        auto results = ask(status_request(), all, kDefaultTimeout);
        for (std::size_t k = 0; k < all.size(); ++k) {
            const auto* status = status_of(results[k], all[k]);
            if (!status) continue;
            context_.out(format_status_line(args_.services[all[k]], *status, context_.wall_now(),
                                            Dialect::Runit));
        }
    }

    void control_then_check(const std::vector<std::size_t>& all) {
        control::Request request;
        request.kind = RequestKind::Command;
        request.command = args_.command;
        settle(ask(request, all, kDefaultTimeout), all);
        if (args_.check == SvCheck::None) return;
        Plan plan(args_.services.size(), SvCheck::None);
        for (auto i : all) plan[i] = args_.check;
        check(plan);
    }

    // sv check: only a service that is starting (not yet ready) is waited for.
    void check_ready(const std::vector<std::size_t>& all) {
        auto results = ask(status_request(), all, kDefaultTimeout);
        Plan plan(args_.services.size(), SvCheck::None);
        for (std::size_t k = 0; k < all.size(); ++k) {
            const auto* status = status_of(results[k], all[k]);
            if (!status) continue;
            plan[all[k]] = status->main.state == State::Starting ? SvCheck::Up : SvCheck::Immediate;
        }
        check(plan);
    }

    // try-restart, force-reload: runit sends TERM, and runsv restarts what wants up.
    // svinit's restart does that in one step; services not running are left alone.
    void try_restart(const std::vector<std::size_t>& all) {
        auto results = ask(status_request(), all, kDefaultTimeout);
        Plan plan(args_.services.size(), SvCheck::None);
        std::vector<std::size_t> restart;
        for (std::size_t k = 0; k < all.size(); ++k) {
            const auto* status = status_of(results[k], all[k]);
            if (!status) continue;
            State state = status->main.state;
            bool running = state == State::Run || state == State::Starting;
            if (running && status->main.want == services::Want::Up) restart.push_back(all[k]);
            plan[all[k]] = SvCheck::Immediate;
        }
        for (auto i : restart) plan[i] = SvCheck::Up;
        control::Request request;
        request.kind = RequestKind::Command;
        request.command = services::Command::Restart;
        settle(ask(request, restart, kDefaultTimeout), restart);
        check(plan);
    }

    // Waits (bounded by -w from the start, like sv) and prints "ok: " for what got there,
    // then "timeout: " (or "kill: ", followed by a KILL) for the rest, in argument order.
    // plan[i] says what service i is checked for; Ready must have become Up by now.
    void check(const Plan& plan) {
        std::vector<std::size_t> up, down, checked;
        for (std::size_t i = 0; i < plan.size(); ++i) {
            if (!alive_[i] || plan[i] == SvCheck::None) continue;
            if (plan[i] == SvCheck::Up || plan[i] == SvCheck::Ready) up.push_back(i);
            if (plan[i] == SvCheck::Down) down.push_back(i);
            checked.push_back(i);
        }
        wait_for(WaitTarget::Up, up);
        wait_for(WaitTarget::Down, down);
        checked = alive(checked);
        auto results = ask(status_request(), checked, kDefaultTimeout);
        std::vector<std::size_t> late;
        std::vector<std::string> late_lines;
        for (std::size_t k = 0; k < checked.size(); ++k) {
            std::size_t i = checked[k];
            const auto* status = status_of(results[k], i);
            if (!status) continue;
            std::string line = format_process(args_.services[i], status->main, context_.wall_now(),
                                              Dialect::Runit);
            bool ok = plan[i] == SvCheck::Immediate ||
                      (plan[i] == SvCheck::Down ? reached(*status, WaitTarget::Down)
                                                : reached(*status, WaitTarget::Up));
            if (ok) {
                context_.out("ok: " + line);
            } else {
                late.push_back(i);
                late_lines.push_back(std::move(line));
            }
        }
        for (const auto& line : late_lines) {
            context_.out((args_.kill_on_timeout ? "kill: " : "timeout: ") + line);
            ++rc_;
        }
        if (args_.kill_on_timeout && !late.empty()) {
            control::Request kill;
            kill.kind = RequestKind::Command;
            kill.command = services::Command::Kill;
            for (auto i : late) kill.services.push_back(wire_[i]);
            (void)context_.exchange(kill, kDefaultTimeout);  // sv ignores how that went, too
        }
    }

    void wait_for(WaitTarget target, const std::vector<std::size_t>& group) {
        if (group.empty()) return;
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - context_.steady_now());
        control::Request request;
        request.kind = RequestKind::Wait;
        request.target = target;
        request.timeout = wire_wait_timeout(left);
        // A timeout is no failure here: check() looks at the status and says "timeout: ".
        settle(ask(request, group, request.timeout + kWaitSlack, /*timeout_is_ok=*/true), group);
    }

    // Sends `request` for the services in `which`; returns their results in the same
    // order, a request-wide error copied into each. When the exchange fails, every one
    // of them is reported, counted and dropped here, and their entries are nullopt.
    Results ask(control::Request request, const std::vector<std::size_t>& which,
                std::optional<std::chrono::milliseconds> timeout, bool timeout_is_ok = false) {
        Results results(which.size());
        if (which.empty()) return results;
        for (auto i : which) request.services.push_back(wire_[i]);
        auto response = context_.exchange(request, timeout);
        if (!response) {
            say_once("svctl: " + response.error().message());
            bool denied = exit_code_for_transport(response.error()) == exit_code::kPermissionDenied;
            for (auto i : which) {
                if (denied) {
                    warn(i, "unable to open supervise/ok: access denied");
                } else {
                    fail(i, "runsv not running");
                }
            }
            return results;
        }
        explain_request_error(response->error, response->message);
        for (std::size_t k = 0; k < which.size(); ++k) {
            control::ServiceResult result;
            if (k < response->results.size()) result = std::move(response->results[k]);
            if (result.error == ErrorCode::None) {
                result.error = response->error;
                result.message = response->message;
            }
            if (timeout_is_ok && result.error == ErrorCode::Timeout) result.error = ErrorCode::None;
            results[k] = std::move(result);
        }
        return results;
    }

    // Reports the services whose part failed, in order; for steps that print nothing else.
    void settle(const Results& results, const std::vector<std::size_t>& which) {
        for (std::size_t k = 0; k < which.size(); ++k) (void)accept(results[k], which[k]);
    }

    // The result, or nullptr after reporting why there is none (nothing more to report
    // when the exchange itself failed: ask() did).
    const control::ServiceResult* accept(const std::optional<control::ServiceResult>& result,
                                         std::size_t i) {
        if (!result) return nullptr;
        if (result->error != ErrorCode::None) {
            report(i, result->error, result->message);
            return nullptr;
        }
        return &*result;
    }

    // For request-wide refusals: one line on stderr naming the socket, once.
    void explain_request_error(ErrorCode code, std::string_view detail) {
        switch (code) {
            case ErrorCode::PermissionDenied:
                say_once(
                    fmt::format("svctl: permission denied by svinit at {}", context_.socket_path));
                break;
            case ErrorCode::Busy:
                say_once(fmt::format("svctl: svinit at {} is busy: {}", context_.socket_path,
                                     detail.empty() ? "too many clients" : detail));
                break;
            case ErrorCode::UnsupportedVersion:
                say_once(fmt::format("svctl: svinit at {} speaks another protocol version",
                                     context_.socket_path));
                break;
            case ErrorCode::None:
            case ErrorCode::BadRequest:
            case ErrorCode::TooLarge:
            case ErrorCode::UnknownService:
            case ErrorCode::Failed:
            case ErrorCode::Timeout:
                break;
        }
    }

    // sv's own words for what went wrong with one service.
    void report(std::size_t i, ErrorCode code, std::string_view message) {
        switch (code) {
            case ErrorCode::UnknownService:
                fail(i, "unable to change to service directory: file does not exist");
                return;
            case ErrorCode::PermissionDenied:
                warn(i, "unable to open supervise/ok: access denied");
                return;
            case ErrorCode::Busy:
            case ErrorCode::UnsupportedVersion:
                fail(i, "runsv not running");
                return;
            case ErrorCode::None:
            case ErrorCode::BadRequest:
            case ErrorCode::TooLarge:
            case ErrorCode::Failed:
            case ErrorCode::Timeout:
                break;
        }
        std::string text =
            strip_service_prefix(strip_service_prefix(message, wire_[i]), args_.services[i]);
        fail(i, text.empty() ? control::to_string(code) : std::string_view(text));
    }

    const services::ServiceStatus* status_of(const std::optional<control::ServiceResult>& answer,
                                             std::size_t i) {
        const control::ServiceResult* result = accept(answer, i);
        if (!result) return nullptr;
        if (!result->status) {
            warn(i, "unable to read supervise/status: bad format");
            return nullptr;
        }
        return &*result->status;
    }

    std::vector<std::size_t> alive(const std::vector<std::size_t>& group) const {
        std::vector<std::size_t> out;
        for (auto i : group) {
            if (alive_[i]) out.push_back(i);
        }
        return out;
    }

    static control::Request status_request() {
        control::Request request;
        request.kind = RequestKind::Status;
        return request;
    }

    void fail(std::size_t i, std::string_view what) { drop(i, "fail", what); }
    void warn(std::size_t i, std::string_view what) { drop(i, "warning", what); }
    void drop(std::size_t i, std::string_view prefix, std::string_view what) {
        context_.out(fmt::format("{}: {}: {}", prefix, args_.services[i], what));
        alive_[i] = false;
        ++rc_;
    }
    void say_once(std::string_view line) {
        if (said_) return;
        context_.err(line);
        said_ = true;
    }

    const SvArgs& args_;
    const RunContext& context_;
    std::vector<std::string> wire_;
    std::vector<bool> alive_;
    unsigned rc_ = 0;
    bool said_ = false;
    std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

int run_sv(const SvArgs& args, const RunContext& context) {
    return SvSession(args, context).run();
}

}  // namespace svinit::svctl
