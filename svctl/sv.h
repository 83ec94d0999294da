#pragma once
// runit's sv on top of svinit's control socket: the same verbs, output lines and exit
// codes (the number of services that failed, at most 99), so scripts written for sv keep
// working. docs/svctl.md describes how each verb maps onto svinit.

#include "svctl/args.h"
#include "svctl/run.h"

namespace svinit::svctl {

// Runs sv with parsed arguments; returns sv's exit code.
int run_sv(const SvArgs& args, const RunContext& context);

}  // namespace svinit::svctl
