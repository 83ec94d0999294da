#include "control/runit_supervise.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace svinit::control {

RunitSupervise::RunitSupervise(core::EventLoop& loop, services::SupervisorApi& api)
    : loop_(loop), api_(api) {}

void RunitSupervise::start() {
    if (observer_) return;
    observer_ = api_.observe([this](std::string_view name) { on_change(name); });
    for (auto& name : api_.service_names()) dirty_.insert(std::move(name));
    flush();
}

std::set<std::string> RunitSupervise::kept() const {
    std::set<std::string> names;
    for (const auto& [name, entry] : entries_) {
        if (entry.main) names.insert(name);
    }
    return names;
}

void RunitSupervise::on_change(std::string_view name) {
    if (!dirty_.contains(name)) dirty_.emplace(name);
    if (flush_timer_) return;
    auto timer = loop_.add_timer(core::Duration::zero(), false, [this] {
        flush_timer_.release();
        flush();
    });
    // Without a timer the name stays noted, and the next change tries again.
    if (timer) {
        flush_timer_ = std::move(*timer);
    } else {
        spdlog::debug("supervise/: {}", timer.error().message());
    }
}

void RunitSupervise::flush() {
    auto names = std::exchange(dirty_, {});
    for (const auto& name : names) sync(name);
}

void RunitSupervise::sync(const std::string& name) {
    auto status = api_.status(name);
    auto it = entries_.find(name);
    if (!status || status->dir.empty()) {
        // Removed (what runsv leaves behind when it exits), or a TOML service, which has
        // no service directory to keep supervise/ in.
        if (it != entries_.end()) {
            release(it->second.main);
            release(it->second.log);
            entries_.erase(it);
        }
        return;
    }
    if (it == entries_.end()) it = entries_.emplace(name, Entry{}).first;
    Entry& entry = it->second;
    if (entry.dir != status->dir) {  // new, or replaced by one in another directory
        release(entry.main);
        release(entry.log);
        entry = Entry{status->dir, nullptr, nullptr, false};
    }
    sync_one(name, entry, entry.main, entry.dir, status->main, false);
    if (status->log) {
        sync_one(name, entry, entry.log, entry.dir + "/log", *status->log, true);
    } else {
        release(entry.log);
    }
}

void RunitSupervise::sync_one(const std::string& name, Entry& entry,
                              std::unique_ptr<SuperviseDir>& slot, const std::string& dir,
                              const services::ProcessStatus& status, bool is_log) {
    const RunitRecord record = runit_record(status);
    core::Result<void> done;
    if (slot) {
        done = slot->write(record);
    } else {
        SuperviseDir::OnCommand handler = [this, name](char byte) { on_command(name, byte); };
        if (is_log) handler = [this, name](char byte) { on_log_command(name, byte); };
        auto opened = SuperviseDir::open(loop_, dir, record, std::move(handler));
        if (opened) {
            slot = std::move(*opened);
        } else {
            done = std::unexpected(opened.error());
        }
    }
    if (done) return;
    const std::string label = is_log ? name + "/log" : name;
    if (entry.warned || (slot && slot->going())) {  // going: the service is being removed
        spdlog::debug("{}: supervise/: {}", label, done.error().message());
        return;
    }
    entry.warned = true;
    spdlog::warn("{}: runit's sv will not see it: {}", label, done.error().message());
}

// A last status saying down (nothing runs that we know of), then the fds close: sv sees
// ENXIO on `ok` and says "runsv not running", and a runsv may take the lock.
void RunitSupervise::release(std::unique_ptr<SuperviseDir>& slot) {
    if (!slot) return;
    RunitRecord down;
    down.since = std::chrono::system_clock::now();
    if (auto wrote = slot->write(down); !wrote) {
        spdlog::debug("supervise/: {}", wrote.error().message());
    }
    slot.reset();
}

void RunitSupervise::on_command(const std::string& name, char byte) {
    auto status = api_.status(name);
    if (!status) return;
    auto command = runit_command(byte, status->main);
    if (!command) {
        spdlog::debug("{}: supervise/control: byte {:#04x} ignored", name,
                      static_cast<unsigned char>(byte));
        return;
    }
    spdlog::debug("{}: supervise/control: '{}'", name, byte);
    if (auto done = api_.command(name, *command); !done) {
        // runsv ignores commands that do not apply (TERM with nothing running); so do we.
        spdlog::debug("{}: supervise/control '{}': {}", name, byte, done.error().message());
    }
}

// log/supervise/control commands the logger, as runsv's second control FIFO does; `x` is
// ignored there, as runsv ignores it.
void RunitSupervise::on_log_command(const std::string& name, char byte) {
    if (byte == 'x') return;
    on_command(name + std::string(services::kLoggerSuffix), byte);
}

}  // namespace svinit::control
