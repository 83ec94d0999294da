#pragma once
// A visitor made of one lambda per alternative: std::visit(Overloaded{...}, v). With no
// generic lambda among them, a new alternative without a handler fails to compile.

namespace svinit::core {

template <typename... Fs>
struct Overloaded : Fs... {
    using Fs::operator()...;
};

}  // namespace svinit::core
