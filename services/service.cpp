#include "services/service.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "services/notify_message.h"
#include "services/output_context.h"

namespace svinit::services {

Policy policy_for(const ProcessSpec& spec, const Policy& defaults) {
    Policy policy = defaults;
    policy.has_finish = spec.finish.has_value();
    policy.control_scripts.clear();
    for (const auto& [script, path] : spec.control) policy.control_scripts.push_back(script);
    return policy;
}

bool uses_notify(const ServiceSpec& spec) {
    return spec.source == SourceKind::Toml &&
           (std::holds_alternative<NotifyReadiness>(spec.readiness.method) ||
            spec.type == ServiceType::Notify);
}

// Readiness by a probe of ours (fd, exec, tcp); notify has its socket.
bool uses_probe(const ServiceSpec& spec) {
    return spec.source == SourceKind::Toml && spec.readiness.configured() &&
           !std::holds_alternative<NotifyReadiness>(spec.readiness.method) &&
           spec.type != ServiceType::Notify;
}

Policy main_policy(const ServiceSpec& spec, const Policy& defaults) {
    Policy policy = policy_for(spec.main, defaults);
    if (spec.source != SourceKind::Toml) return policy;
    const RestartSpec& restart = spec.restart;
    policy.restart = restart.policy;
    policy.backoff = {restart.backoff_initial, restart.backoff_max, restart.backoff_factor};
    policy.min_healthy_run = restart.healthy_after;
    policy.start_limit = restart.start_limit;
    policy.oneshot = spec.type == ServiceType::Oneshot;
    policy.stop_timeout = spec.stop.timeout;
    policy.stop_signal = spec.stop.signal;
    policy.kill_group = spec.stop.kill == KillMode::Group;
    policy.wait_ready = uses_notify(spec) || uses_probe(spec);
    policy.ready_timeout = spec.readiness.timeout;
    if (!spec.stop.command.empty()) policy.control_scripts.push_back('t');
    return policy;
}

Service::Service(ProcessContext context, ServiceSpec spec, Changed on_change)
    : context_(context), spec_(std::move(spec)), on_change_(std::move(on_change)) {}

core::Result<std::unique_ptr<Service>> Service::create(ProcessContext context, ServiceSpec spec,
                                                       Policy policy, Changed on_change) {
    std::unique_ptr<Service> service(new Service(context, std::move(spec), std::move(on_change)));
    Service& s = *service;
    s.stop_timeout_ = policy.stop_timeout;
    StdioSources main_stdio;
    if (s.spec_.log) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            return core::sys_error("pipe for " + s.spec_.name + "/log");
        }
        s.pipe_read_.reset(fds[0]);
        s.pipe_write_.reset(fds[1]);
        main_stdio.out = &s.pipe_write_;
        s.log_ = std::make_unique<SupervisedProcess>(
            context, s.spec_.name + "/log", *s.spec_.log, policy_for(*s.spec_.log, policy),
            StdioSources{&s.pipe_read_, nullptr}, [&s](State, State) {
                if (s.on_change_) s.on_change_();
            });
    }
    if (auto captured = s.capture_output(main_stdio); !captured) {
        return std::unexpected(captured.error());
    }
    s.main_ = std::make_unique<SupervisedProcess>(context, s.spec_.name, s.spec_.main,
                                                  main_policy(s.spec_, policy), main_stdio,
                                                  [&s](State, State to) { s.on_main_change(to); });
    s.main_->set_stop_command(s.spec_.stop.command);
    s.main_->set_sandbox(s.spec_.sandbox);
    if (uses_notify(s.spec_)) {
        if (auto opened = s.open_notify_socket(); !opened) return std::unexpected(opened.error());
    }
    s.make_probes();
    return service;
}

void Service::make_probes() {
    SupervisedProcess::RunHooks hooks;
    if (uses_probe(spec_)) {
        readiness_ = std::make_unique<ReadinessProbe>(
            context_.loop, context_.children, spec_.name, spec_.main, spec_.readiness,
            [this](ReadinessProbe::Verdict verdict) {
                if (verdict == ReadinessProbe::Verdict::Ready) {
                    main_->post(Ready{});
                } else {
                    main_->post(NotReady{});
                }
            });
        if (const auto* fd = std::get_if<FdReadiness>(&spec_.readiness.method)) {
            hooks.pass_fd = [this] { return readiness_->open_pipe(); };
            hooks.pass_fd_target = fd->fd;
        }
    }
    if (spec_.source == SourceKind::Toml && spec_.health) {
        health_ = std::make_unique<HealthProbe>(context_.loop, context_.children, spec_.name,
                                                spec_.main, *spec_.health,
                                                [this] { main_->post(Unhealthy{}); });
    }
    if (readiness_ || health_) hooks.spawned = [this] { sync_probes(true); };
    main_->set_run_hooks(std::move(hooks));
}

void Service::sync_probes(bool spawned) {
    const ServiceState& state = main_->state();
    const bool alive = main_->run_alive() && !state.waiting && !state.done;
    const bool starting = alive && state.state == State::Starting;
    const bool up = alive && state.state == State::Run;
    if (readiness_) {
        if (!starting) {
            readiness_->stop();
        } else if (spawned) {
            readiness_->begin();
        }
    }
    if (health_) {
        if (!up || spawned) health_->stop();
        if (up && !health_->active()) health_->begin();
    }
}

// prefix, json and file modes: run's stdout and stderr are pipes that svinit reads.
core::Result<void> Service::capture_output(StdioSources& stdio) {
    OutputContext* output = context_.output;
    if (output == nullptr) return {};
    const OutputMode mode = output->mode_for(spec_);
    if (mode == OutputMode::Inherit) return {};
    LogSettings settings = output->settings;
    if (spec_.prefix) settings.prefix = *spec_.prefix;
    auto capture = OutputCapture::create(
        context_.loop, spec_.name, mode, settings, output->stdout_queue.get(),
        [output, name = spec_.name](const LogLine& line) {
            if (output->on_line) output->on_line(name, line);
        });
    if (!capture) return std::unexpected(capture.error());
    capture_ = std::move(*capture);
    stdio.out = &capture_->stdout_fd();
    stdio.err = &capture_->stderr_fd();
    return {};
}

core::Result<void> Service::open_notify_socket() {
    auto socket = core::NotifySocket::open(spec_.name);
    if (!socket) return std::unexpected(socket.error());
    notify_ = std::move(*socket);
    auto watch = context_.loop.watch_readable(notify_->fd(), [this] { on_notify(); });
    if (!watch) return std::unexpected(watch.error());
    notify_watch_ = std::move(*watch);
    main_->set_extra_env({"NOTIFY_SOCKET=" + notify_->address()});
    return {};
}

// Its main process, or (kill = "group" or not) one in its process group: a `sh -c` that
// runs the daemon as its child is the service too.
bool Service::from_service(pid_t pid) const {
    const pid_t run = main_->status().pid;
    if (pid <= 0 || run <= 0) return false;
    return pid == run || ::getpgid(pid) == run;
}

// A bounded batch per wakeup: the rest stay queued in the socket, and the watch fires
// again, so a flood from one service cannot hold the loop.
void Service::on_notify() {
    for (int i = 0; i < 64; ++i) {
        auto received = notify_->receive();
        if (!received) {
            spdlog::warn("{}: {}", spec_.name, received.error().message());
            return;
        }
        if (!*received) return;
        const auto& message = **received;
        if (!from_service(message.pid)) {
            spdlog::debug("{}: notify message from pid {}, not the service's: ignored",
                          spec_.name, message.pid);
            continue;
        }
        const NotifyMessage parsed = parse_notify(message.text);
        if (parsed.status) notify_status_ = *parsed.status;
        if (parsed.stopping) spdlog::debug("{}: says it is stopping", spec_.name);
        if (parsed.ready) main_->post(Ready{});
        if (on_change_) on_change_();
    }
}

void Service::start() {
    // The logger first, so nothing run writes waits on a full pipe with no reader.
    if (log_) log_->start();
    main_->start();
}

core::Result<void> Service::command(Command command, Program program) {
    if (retiring_) return core::error(EAGAIN, spec_.name + ": being removed");
    SupervisedProcess* target = program == Program::Log ? log_.get() : main_.get();
    if (target == nullptr) return core::error(ENOENT, spec_.name + "/log: no such logger");
    const auto send = [target](int sig) -> core::Result<void> {
        // Checked now, though a control script may run first: "not running" is an answer
        // the operator gets at once.
        if (!target->run_alive()) return core::error(ESRCH, target->label() + ": not running");
        target->post(SendSignal{sig});
        return {};
    };
    switch (command) {
        case Command::Up:
            target->post(WantUp{});
            return {};
        case Command::Down:
            target->post(WantDown{});
            return {};
        case Command::Exit:
            if (program == Program::Log) return {};  // runsv ignores x for a logger
            target->post(WantDown{true});
            return {};
        case Command::Once:
            target->post(WantOnce{});
            return {};
        case Command::Restart:
            target->post(Restart{});
            return {};
        case Command::Pause:
            target->post(Pause{});
            return {};
        case Command::Cont:
            target->post(Continue{});
            return {};
        case Command::Term:
            return send(SIGTERM);
        case Command::Kill:
            return send(SIGKILL);
        case Command::Hup:
            return send(SIGHUP);
        case Command::Int:
            return send(SIGINT);
        case Command::Quit:
            return send(SIGQUIT);
        case Command::Usr1:
            return send(SIGUSR1);
        case Command::Usr2:
            return send(SIGUSR2);
        case Command::Alarm:
            return send(SIGALRM);
    }
    return {};
}

void Service::retire() {
    if (retiring_) return;
    retiring_ = true;
    main_->post(WantDown{});
    if (main_->settled()) retire_logger();
}

void Service::on_main_change(State to) {
    sync_probes(false);
    if (retiring_ && (to == State::Down || to == State::Failed)) retire_logger();
    if (on_change_) on_change_();
}

void Service::retire_logger() {
    if (!log_ || log_drain_timer_) return;
    // Our write end is the last one once run and finish are gone (unless run left a
    // daemon holding it): closing it gives the logger end-of-file after the last line.
    pipe_write_.reset();
    log_->post(WantOnce{});
    auto timer = context_.loop.add_timer(stop_timeout_, false, [this] { log_->post(WantDown{}); });
    if (timer) {
        log_drain_timer_ = std::move(*timer);
    } else {
        log_->post(WantDown{});
    }
}

void Service::set_gate(Gate gate) {
    main_->post(DepsChanged{gate.open, gate.blocked});
    gate_ = std::move(gate);
}

bool Service::settled() const noexcept {
    return main_->settled() && (!log_ || log_->settled());
}

ServiceStatus Service::status() const {
    ServiceStatus s;
    s.name = spec_.name;
    // A TOML service has no service directory (main.dir is its working directory).
    if (spec_.source != SourceKind::Toml) s.dir = spec_.main.dir.string();
    s.main = main_->status();
    if (main_->state().waiting && gate_ && !gate_->open) {
        s.main.reason = "waiting for " + gate_->waiting_for;
    } else if (s.main.state == State::Starting && !notify_status_.empty()) {
        s.main.reason = notify_status_;  // what it said with STATUS=
    }
    if (log_) s.log = log_->status();
    if (capture_ && capture_->drops_when_full()) s.dropped_lines = capture_->dropped();
    if (health_) s.health = health_->status();
    if (readiness_ && s.main.state == State::Starting && s.main.reason.empty() &&
        readiness_->failed_tries() > 0) {
        const unsigned tries = readiness_->failed_tries();
        s.main.reason = fmt::format("readiness check failed {} time{}, last: {}", tries,
                                    tries == 1 ? "" : "s", readiness_->last_failure());
    }
    return s;
}

std::optional<ServiceStatus> Service::logger_status() const {
    if (!log_ || !spec_.log) return std::nullopt;
    ServiceStatus s;
    s.name = spec_.name + std::string(kLoggerSuffix);
    s.dir = spec_.log->dir.string();
    s.main = log_->status();
    return s;
}

bool Service::can_update_in_place(const ServiceSpec& spec) const {
    if (spec.source != spec_.source) return false;
    if (spec.source == SourceKind::Toml) {
        // What the running process was started with must be the same; [restart], [stop]
        // and `down` apply as they are.
        ProcessSpec now = spec_.main;
        now.normally_down = spec.main.normally_down;
        return now == spec.main && spec.type == spec_.type &&
               spec.readiness == spec_.readiness && spec.health == spec_.health &&
               spec.output == spec_.output;
    }
    return spec.main.dir == spec_.main.dir && spec.log.has_value() == spec_.log.has_value() &&
           spec.output == spec_.output &&
           (!spec.log || spec.log->dir == spec_.log->dir);
}

void Service::update(ServiceSpec spec, Policy policy) {
    main_->update(spec.main, main_policy(spec, policy));
    main_->set_stop_command(spec.stop.command);
    main_->set_sandbox(spec.sandbox);
    if (log_ && spec.log) log_->update(*spec.log, policy_for(*spec.log, policy));
    spec_ = std::move(spec);
}

}  // namespace svinit::services
