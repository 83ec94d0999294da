#pragma once
// The set of supervised services: reconciles it with what the declarations say, answers
// the control layer (SupervisorApi), wakes waiters, and stops everything in order at
// shutdown. One process whatever the number of services: no helper per service.

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/dep_graph.h"
#include "services/dir_index.h"
#include "services/output_context.h"
#include "services/service.h"
#include "services/supervisor_api.h"

namespace svinit::services {

class Supervisor final : public SupervisorApi {
public:
    // `identify` identifies service directories for resolve() (stat(2) unless a test
    // counts the calls).
    Supervisor(core::EventLoop& loop, core::ChildHost& children, Policy defaults,
               DirIndex::Identify identify = {});

    // Makes the supervised set match `specs`: new services start (unless normally down),
    // removed ones are stopped for good, changed ones are updated or replaced.
    void apply(std::vector<ServiceSpec> specs);

    // Stops every service for good (run, finish, then loggers); `done` runs once nothing
    // supervised is left running.
    void stop_all(core::Callback done);
    bool stopping_all() const noexcept { return stop_all_done_ != nullptr || stopped_all_; }

    // Captures services' output as `settings` say (docs/logging.md), prefix and json
    // lines going to `stdout_fd`. Call before the first apply(); without it every
    // service's output is inherited.
    void set_output(LogSettings settings, int stdout_fd);

    // What SupervisorApi::shutdown() should do: the owner's orderly shutdown.
    void on_shutdown_request(core::Callback handler) { shutdown_handler_ = std::move(handler); }

    // What SupervisorApi::reload() does: the owner reads the declarations and applies them.
    using ReloadHandler = std::function<std::expected<void, std::vector<std::string>>()>;
    void on_reload_request(ReloadHandler handler) { reload_handler_ = std::move(handler); }

    // What to do when an essential service fails for good (essential.h): told the
    // service's name and the exit code, once, on a turn of the loop of its own.
    using EssentialFailure = std::function<void(const std::string& name, int exit_code)>;
    void on_essential_failure(EssentialFailure handler) { essential_handler_ = std::move(handler); }

    // SupervisorApi
    std::vector<std::string> service_names() const override;
    std::optional<std::string> resolve(std::string_view name_or_path) const override;
    std::optional<ServiceStatus> status(std::string_view name) const override;
    std::optional<ServiceSpec> spec(std::string_view name) const override;
    core::Result<void> command(std::string_view name, Command command) override;
    WaitHandle wait(std::string_view name, WaitTarget target,
                    std::function<void(bool reached)> done) override;
    void cancel_wait(WaitId id) override;
    ObserverHandle observe(ChangeObserver observer) override;
    void unobserve(ObserverId id) override;
    void shutdown() override;
    std::expected<void, std::vector<std::string>> reload() override;
    bool check() const override;
    core::Result<std::vector<LogLine>> logs(std::string_view name,
                                           std::size_t count) const override;
    core::Result<FollowHandle> follow(std::string_view name,
                                      std::function<void(const LogLine&)> on_line) override;
    void unfollow(FollowId id) override;

private:
    struct Waiter {
        std::string service;
        Program program = Program::Main;
        WaitTarget target;
        std::function<void(bool)> done;
    };

    // A canonical name ("web", "web/log") taken apart.
    struct Target {
        Service* service = nullptr;
        Program program = Program::Main;
    };
    Target find(std::string_view name) const;
    const SupervisedProcess* program_of(const Service& service, Program program) const;

    // `free_fds`: the fds free before the batch (core::fds_free); `pending_fds`: what
    // services added before it in the batch and not started yet will hold.
    Service* add(ServiceSpec spec, std::size_t free_fds, std::size_t pending_fds);
    void retire(std::unique_ptr<Service> service);
    void on_service_change();
    void notify_observers(std::string_view name);
    void wake_waiters();
    void collect_retired();
    void on_log_line(std::string_view service, const LogLine& line);
    void check_essential(std::string_view name);
    std::size_t capture_fds(const ServiceSpec& spec) const;
    bool reached(const Service& service, Program program, WaitTarget target) const;

    // Dependencies (supervisor_deps.cpp): the graph of the services supervised, the start
    // gates told to each service, and the stop of everything in reverse order.
    void rebuild_graph();
    DepStatus dep_status(std::string_view name) const;
    void update_gates();
    void update_gate(Service& service);
    void advance_stop_all();

    core::EventLoop& loop_;
    core::ChildHost& children_;
    Policy defaults_;
    // Before the services, so they outlive any callback of theirs (a capture reports its
    // last lines when it is destroyed).
    std::unique_ptr<OutputContext> output_;
    struct Follower {
        std::string service;
        std::function<void(const LogLine&)> on_line;
    };
    std::map<std::uint64_t, Follower> followers_;
    std::uint64_t next_follower_id_ = 1;
    std::map<std::uint64_t, ChangeObserver> observers_;
    std::uint64_t next_observer_id_ = 1;
    std::map<std::string, std::unique_ptr<Service>, std::less<>> services_;
    std::vector<std::unique_ptr<Service>> retired_;  // being stopped for good
    DirIndex dirs_;  // the directories of services_ and their loggers
    std::unordered_map<std::uint64_t, Waiter> waiters_;
    std::uint64_t next_wait_id_ = 1;
    core::Callback stop_all_done_;
    bool stopped_all_ = false;
    core::Callback shutdown_handler_;
    EssentialFailure essential_handler_;
    ReloadHandler reload_handler_;
    core::TimerHandle essential_timer_;  // reports an essential failure outside its callback
    bool essential_failed_ = false;      // reported once: the shutdown it begins is final
    core::TimerHandle collect_timer_;
    DepGraph graph_;
    // The services update_gates() looks at: those with dependencies or a gate still set.
    // Most services have neither, and a state change must not cost a pass over all of them
    // (at 10,000 services a mass start would be quadratic).
    std::vector<std::string> gated_;
    bool updating_gates_ = false;  // update_gates() is running: a change in it loops again
    bool gates_dirty_ = false;
    bool advancing_stop_ = false;
};

}  // namespace svinit::services
