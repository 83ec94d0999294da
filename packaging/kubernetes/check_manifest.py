#!/usr/bin/python3
"""Checks packaging/kubernetes/deployment.yaml: it parses, svinit is the container's PID 1,
the probes ask svctl what docs/svctl.md says they should, and the termination grace period
exceeds svinit's worst-case stop as the container's own arguments set it.

    /usr/bin/python3 packaging/kubernetes/check_manifest.py [MANIFEST]

Debian's python3-yaml (scripts/install-deps.sh), hence /usr/bin/python3. Exit 0 or 1 with
one line per problem.
"""
import pathlib
import sys

import yaml

# svinit's defaults (docs/svinit.md) for a flag the arguments leave out.
DEFAULTS = {"--stop-timeout": 10.0, "--finish-timeout": 5.0, "--kill-grace": 5.0}

problems = []


def problem(message):
    problems.append(message)


def flag_values(args):
    """The flags' values from an argv, in --flag=value or --flag value form; last one wins."""
    values = dict(DEFAULTS)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            break
        name, eq, value = arg.partition("=")
        if name in DEFAULTS:
            if not eq:
                i += 1
                value = args[i] if i < len(args) else ""
            try:
                values[name] = float(value)
            except ValueError:
                problem(f"{name}: '{value}' is not a number of seconds")
        i += 1
    return values


def probe_argv(container, name):
    probe = container.get(name)
    if probe is None:
        return None, None
    argv = probe.get("exec", {}).get("command")
    if not isinstance(argv, list) or not argv:
        problem(f"{name}: not an exec probe with a command list")
        return None, probe
    return argv, probe


def check_probe_timeout(name, probe, needed):
    """The kubelet must give svctl at least `needed` seconds before it counts a failure."""
    timeout = probe.get("timeoutSeconds", 1)
    if timeout < needed:
        problem(f"{name}: timeoutSeconds {timeout} < {needed}: svctl may be cut off")


def check_container(spec, container):
    argv = list(container.get("command", [])) + list(container.get("args", []))
    if not argv or pathlib.PurePosixPath(argv[0]).name != "svinit":
        problem(f"container {container.get('name')}: PID 1 is {argv[:1]}, not svinit")
        return
    flags = flag_values(argv[1:])

    live, probe = probe_argv(container, "livenessProbe")
    if live is None:
        problem("livenessProbe: missing")
    elif pathlib.PurePosixPath(live[0]).name != "svctl" or live[1:] != ["check"]:
        problem(f"livenessProbe: {live}, not svctl check")
    else:
        check_probe_timeout("livenessProbe", probe, 2)

    start, probe = probe_argv(container, "startupProbe")
    if start is not None and (pathlib.PurePosixPath(start[0]).name != "svctl"
                              or start[1:] != ["check"]):
        problem(f"startupProbe: {start}, not svctl check")

    ready, probe = probe_argv(container, "readinessProbe")
    if ready is None:
        problem("readinessProbe: missing")
    elif pathlib.PurePosixPath(ready[0]).name != "svctl":
        problem(f"readinessProbe: {ready} does not run svctl")
    elif ready[1:] == ["check"]:
        check_probe_timeout("readinessProbe", probe, 2)
    elif ready[1:3] in (["wait", "ready"], ["wait", "up"]):
        rest = ready[3:]
        if "--timeout" not in rest or rest.index("--timeout") + 1 >= len(rest):
            problem("readinessProbe: svctl wait without --timeout would wait forever")
        else:
            wait = float(rest[rest.index("--timeout") + 1])
            services = [a for j, a in enumerate(rest)
                        if a != "--timeout" and (j == 0 or rest[j - 1] != "--timeout")]
            if not services:
                problem("readinessProbe: svctl wait names no service")
            # svctl answers within its --timeout, plus a connection's worth.
            check_probe_timeout("readinessProbe", probe, wait + 1)
    else:
        problem(f"readinessProbe: {ready}, not svctl check or svctl wait ready --timeout N SERVICE")

    # svinit's own stop budget, the one it reports to systemd (docs/svinit.md, "Under
    # systemd"): twice --stop-timeout (the services, then their loggers), --finish-timeout,
    # then the final sweep of what is left (--kill-grace).
    budget = (2 * flags["--stop-timeout"] + flags["--finish-timeout"] + flags["--kill-grace"])
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if not grace > budget:
        problem(f"terminationGracePeriodSeconds {grace} is not above svinit's stop budget "
                f"{budget:g} s (2 x --stop-timeout + --finish-timeout + --kill-grace)")


def main():
    here = pathlib.Path(__file__).resolve().parent
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here / "deployment.yaml"
    with open(path) as f:
        documents = [d for d in yaml.safe_load_all(f) if d is not None]
    workloads = [d for d in documents if d.get("kind") in ("Deployment", "Pod")]
    if len(workloads) != 1:
        problem(f"expected one Deployment or Pod, found {len(workloads)}")
    for workload in workloads:
        spec = workload["spec"]
        if workload["kind"] == "Deployment":
            spec = spec["template"]["spec"]
        containers = spec.get("containers", [])
        if not containers:
            problem("no containers")
        for container in containers:
            check_container(spec, container)
    for message in problems:
        print(f"{path}: {message}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
