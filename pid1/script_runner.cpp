#include "pid1/script_runner.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include "pid1/my_init_log.h"

namespace svinit::pid1 {

void ScriptRunner::run(std::vector<std::string> paths, std::optional<core::Duration> limit,
                       AfterEach after_each, Done done) {
    paths_ = std::move(paths);
    next_ = 0;
    limit_ = limit;
    after_each_ = std::move(after_each);
    done_ = std::move(done);
    aborting_ = false;
    next();
}

void ScriptRunner::next() {
    if (aborting_) return finish(false);
    if (next_ >= paths_.size()) return finish(true);
    const std::string& path = paths_[next_++];
    my_init_log().info("Running {}...", path);
    core::SpawnOptions options;
    options.path = path;
    options.argv = {path};
    // Like my_init's children: same process group, so a terminal's ^C reaches them too.
    options.new_process_group = false;
    auto child = reaper_.spawn(options, [this, path](const core::ChildExit& exit) {
        current_.release();
        on_exit(path, exit);
    });
    if (!child) {
        // Reported like a script that could not exec: the sequence decides what follows.
        my_init_log().error("{}: {}", path, child.error().message());
        return on_exit(path, core::ChildExit{0, core::ExitStatus::exited(126), std::nullopt});
    }
    current_ = std::move(*child);
    if (limit_) {
        auto timer = loop_.add_timer(*limit_, false, [this, path] {
            timer_.release();
            my_init_log().warn("{} still running after its time limit; stopping it", path);
            stop_current(kKillGrace);
        });
        if (timer) timer_ = std::move(*timer);
    }
}

void ScriptRunner::on_exit(const std::string& path, const core::ChildExit& exit) {
    timer_.reset();
    if (exit.spawn_failure) my_init_log().error("{}: {}", path, exit.spawn_failure->describe());
    bool go_on = !after_each_ || after_each_(path, exit);
    if (!go_on) return finish(false);
    next();
}

void ScriptRunner::abort(core::Duration grace) {
    if (!running()) return;
    aborting_ = true;
    if (!current_) return finish(false);
    timer_.reset();
    stop_current(grace);
}

void ScriptRunner::stop_current(core::Duration grace) {
    if (!current_) return;
    (void)reaper_.signal(current_.id(), SIGTERM);
    auto timer = loop_.add_timer(grace, false, [this] {
        timer_.release();
        if (current_) (void)reaper_.signal(current_.id(), SIGKILL);
    });
    if (timer) timer_ = std::move(*timer);
}

void ScriptRunner::finish(bool completed) {
    timer_.reset();
    auto done = std::move(done_);
    done_ = nullptr;
    after_each_ = nullptr;
    if (done) done(completed);
}

}  // namespace svinit::pid1
