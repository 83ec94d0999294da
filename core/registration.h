#pragma once
// A move-only owner of one registration with some service (a loop watch, a timer, a
// tracked child, a waiter), as UniqueFd owns an fd: destroying or resetting it cancels
// the registration, so a callback that captures `this` can never outlive `this` when
// `this` owns the handle.
//
// Owner::*Release must be harmless for an id that has already fired or been cancelled
// (ids are never reused). The owner must outlive every handle it gave out.

#include <utility>

namespace svinit::core {

template <class Owner, class Id, void (Owner::*Release)(Id)>
class [[nodiscard]] Registration {
public:
    Registration() = default;
    Registration(Owner& owner, Id id) noexcept : owner_(&owner), id_(id) {}
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    Registration(Registration&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), id_(other.id_) {}
    Registration& operator=(Registration&& other) noexcept {
        if (this != &other) {
            reset();
            owner_ = std::exchange(other.owner_, nullptr);
            id_ = other.id_;
        }
        return *this;
    }
    ~Registration() { reset(); }

    // Cancels the registration (a no-op when empty).
    void reset() noexcept {
        if (Owner* owner = std::exchange(owner_, nullptr)) (owner->*Release)(id_);
    }
    // Forgets the registration without cancelling it: for a callback that knows its
    // one-shot registration has already fired.
    void release() noexcept { owner_ = nullptr; }

    bool active() const noexcept { return owner_ != nullptr; }
    explicit operator bool() const noexcept { return active(); }
    Id id() const noexcept { return id_; }

private:
    Owner* owner_ = nullptr;
    Id id_{};
};

}  // namespace svinit::core
