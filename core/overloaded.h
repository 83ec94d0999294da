#pragma once
// A visitor made of one lambda per alternative: std::visit(Overloaded{...}, v). With no
// generic lambda among them, a new alternative without a handler fails to compile.

namespace svinit::core {

template <typename... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};

// Clang before 17 does not deduce aggregate template arguments (P1816); the guide does.
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace svinit::core
