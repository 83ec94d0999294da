#!/usr/bin/env bash
# bench/pid1.sh: tini, tini-static, dumb-init and svinit (io_uring and epoll backends), each as PID 1 of a
# fresh PID namespace, on the same four workloads; prints absolute figures and ratios to tini.
# docs/benchmarks.md says what each workload measures and how to read the table.
#
#   bash bench/pid1.sh
#
# The static build (SVINIT=build-static/bin/svinit) is the one to compare with tini-static.
# Environment (defaults in brackets): SVINIT [build/bin/svinit], ORPHANS [10000], REAP_RUNS [7],
# IDLE_SECONDS [10], LATENCY_RUNS [200]. Needs root. About a minute on two idle cores.
set -euo pipefail
export LC_ALL=C  # a decimal point, not a comma, in what times and awk print

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
svinit=${SVINIT:-$repo/build/bin/svinit}
orphans=${ORPHANS:-10000}
reap_runs=${REAP_RUNS:-7}
idle_seconds=${IDLE_SECONDS:-10}
latency_rounds=10  # the runs are split into rounds, interleaved across inits, so drift is shared
per_round=$(((${LATENCY_RUNS:-200} + latency_rounds - 1) / latency_rounds))
latency_runs=$((per_round * latency_rounds))

inits=(tini tini-static dumb-init svinit-io_uring svinit-epoll)
declare -A state  # init -> ok, or why it is left out

say() { printf '%s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
    say "pid1.sh: needs root (PID and mount namespaces, and an overlay on /etc; see below)"
    exit 1
fi

# The outer half installs the peers, owns the temp dir, and runs the rest of this script in a
# mount namespace of its own, so that what it mounts there vanishes with it.
if [[ -z ${PID1_BENCH_TMP:-} ]]; then
    if ! bash "$repo/scripts/install-deps.sh" --bench >&2; then
        say "pid1.sh: could not install the peers; the missing ones are reported as not installed"
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    status=0
    PID1_BENCH_TMP=$tmp unshare --mount --propagation private -- \
        bash "${BASH_SOURCE[0]}" "$@" || status=$?
    exit "$status"
fi
tmp=$PID1_BENCH_TMP
background=()
# unshare blocks SIGINT and SIGTERM while it waits, so only SIGKILL stops it; --kill-child then
# takes its init, and with it the whole PID namespace.
cleanup() {
    local pid
    for pid in "${background[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# A safeguard: `svinit -- COMMAND` supervises nothing unless --service-dir is given, but Debian's
# runit package (a --bench dependency) installs /etc/service with a placeholder service
# (default-syslog: `sleep 6000`), and the peers supervise nothing. Hiding /etc/service (an
# overlay on /etc whose upper layer holds a whiteout for it) keeps the comparison like with like.
etc_service="none"
if [[ -e /etc/service ]]; then
    if [[ $(readlink /proc/self/ns/mnt) == $(readlink /proc/1/ns/mnt) ]]; then
        say "pid1.sh: not in a private mount namespace; refusing to mount over /etc"
        exit 1
    fi
    mkdir "$tmp/etc"
    mount -t tmpfs -o mode=0700 pid1-bench "$tmp/etc"
    mkdir "$tmp/etc/upper" "$tmp/etc/work"
    mknod "$tmp/etc/upper/service" c 0 0
    mount -t overlay pid1-bench \
        -o "lowerdir=/etc,upperdir=$tmp/etc/upper,workdir=$tmp/etc/work" /etc
    etc_service="hidden (svinit would supervise it; the peers would not)"
fi

# init_argv NAME: sets argv to the init's command line, up to where COMMAND goes.
init_argv() {
    case $1 in
        tini) argv=(tini --) ;;  # as PID 1 tini needs no -s
        tini-static) argv=(tini-static --) ;;  # Debian's tini package has both
        dumb-init) argv=(dumb-init) ;;
        svinit-io_uring) argv=("$svinit" --quiet --event-loop=io_uring --) ;;
        svinit-epoll) argv=("$svinit" --quiet --event-loop=epoll --) ;;
        bare) argv=() ;;
    esac
}

median() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit
        print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ctxt_switches PID: voluntary + involuntary context switches of every thread of PID.
ctxt_switches() {
    { cat /proc/"$1"/task/*/status 2>/dev/null || true; } |
        awk '/^(non)?voluntary_ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

vm_hwm_kb() { awk '/^VmHWM:/ { print $2 }' /proc/"$1"/status; }

# children_cpu_us: user + system CPU of every waited-for descendant of this shell, from the
# `times` builtin. It must run in this shell, not in a $(...) subshell, whose counts start at 0.
children_cpu_us() {
    times >"$tmp/times"
    cpu_us=$(awk 'NR == 2 { for (i = 1; i <= 2; ++i) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] }
                           printf "%.0f", t * 1e6 }' "$tmp/times")
}

# ---------------------------------------------------------------------------------------------
# Setup: peers, helper, what runs where.

if [[ ! -x "$svinit" ]]; then
    say "pid1.sh: $svinit not found; build it first:"
    say "  cmake -S . -B build && cmake --build build -j2 --target svinit"
    exit 1
fi
cc -O2 -o "$tmp/orphans" "$repo/bench/orphans.c"
# A snapshot, so that a rebuild of the tree while this runs cannot change what is measured.
svinit_built=$svinit
svinit=$tmp/svinit
cp "$svinit_built" "$svinit"

unshare=(unshare --pid --fork --mount-proc)

for name in "${inits[@]}"; do
    init_argv "$name"
    if ! command -v "${argv[0]}" >/dev/null; then
        state[$name]="not installed"
    elif ! "${unshare[@]}" "${argv[@]}" /bin/true </dev/null 2>"$tmp/$name.preflight"; then
        state[$name]="failed: $(head -n 1 "$tmp/$name.preflight")"
    else
        state[$name]=ok
    fi
done
available=()
for name in "${inits[@]}"; do
    if [[ ${state[$name]} == ok ]]; then available+=("$name"); fi
done

echo "command:  bash bench/pid1.sh  (ORPHANS=$orphans REAP_RUNS=$reap_runs" \
    "IDLE_SECONDS=$idle_seconds LATENCY_RUNS=$latency_runs)"
echo "kernel:   $(uname -sr) on $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
echo "date:     $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "svinit:   $("$svinit" --version 2>&1) ($svinit_built, commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown))"
for peer in tini dumb-init; do
    if command -v "$peer" >/dev/null; then
        printf '%-9s %s\n' "$peer:" "$("$peer" --version 2>&1 | head -n 1)"
    else
        printf '%-9s not installed\n' "$peer:"
    fi
done
echo "/etc/service: $etc_service"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) at start"
if awk '{ exit !($1 >= 1) }' /proc/loadavg; then
    echo "warning:  the machine is busy; expect noisy figures"
fi
for name in "${inits[@]}"; do
    if [[ ${state[$name]} != ok ]]; then echo "skipped:  $name: ${state[$name]}"; fi
done
echo

# ---------------------------------------------------------------------------------------------
# 1. Reaping: the helper makes $orphans orphaned zombies and times until none is left.
# Rounds go across the inits, so a slow phase of the machine hits all of them alike.

say "pid1.sh: reaping $orphans orphans, $reap_runs runs per init"
for ((run = 0; run < reap_runs; ++run)); do
    for name in "${available[@]}"; do
        init_argv "$name"
        if out=$("${unshare[@]}" "${argv[@]}" "$tmp/orphans" "$orphans" \
        </dev/null 2>>"$tmp/$name.err"); then
            read -r total reap hwm <<<"$out"
            echo "$total" >>"$tmp/$name.reap_total"
            echo "$reap" >>"$tmp/$name.reap_phase"
            echo "$hwm" >>"$tmp/$name.reap_hwm"
        else
            say "pid1.sh: $name: reaping run failed: $(tail -n 1 "$tmp/$name.err")"
        fi
    done
done

# ---------------------------------------------------------------------------------------------
# 2 and 3. Idle: every init runs `sleep` at once; count each one's context switches over the
# same window, and read its VmHWM at the end of it, while the sleep still runs.

say "pid1.sh: idle for ${idle_seconds}s"
declare -A init_pid
sleep_for=$((idle_seconds + 4))
for name in "${available[@]}"; do
    init_argv "$name"
    # --kill-child: if this script is interrupted, the init and its namespace go with unshare.
    "${unshare[@]}" --kill-child "${argv[@]}" sleep "$sleep_for" </dev/null 2>>"$tmp/$name.err" &
    background+=($!)
    init_pid[$name]=$!  # unshare's pid for now
done
# The init is unshare's only child; it is ready once its own child has exec'd sleep.
for name in "${available[@]}"; do
    u=${init_pid[$name]}
    init_pid[$name]=""
    for ((try = 0; try < 500; ++try)); do
        pid=$(cat /proc/"$u"/task/"$u"/children 2>/dev/null || true)
        pid=${pid%% *}
        if [[ -n $pid ]]; then
            kid=$(cat /proc/"$pid"/task/"$pid"/children 2>/dev/null || true)
            kid=${kid%% *}
            if [[ -n $kid && $(cat /proc/"$kid"/comm 2>/dev/null) == sleep ]]; then
                init_pid[$name]=$pid
                break
            fi
        fi
        sleep 0.01
    done
    if [[ -z ${init_pid[$name]} ]]; then say "pid1.sh: $name: did not start sleep within 5 s"; fi
done
sleep 0.5  # let start-up work settle; the window is about steady state
declare -A switches_before
for name in "${available[@]}"; do
    if [[ -n ${init_pid[$name]} ]]; then
        switches_before[$name]=$(ctxt_switches "${init_pid[$name]}")
    fi
done
sleep "$idle_seconds"
declare -A wakeups idle_hwm
for name in "${available[@]}"; do
    pid=${init_pid[$name]}
    [[ -n $pid ]] || continue
    after=$(ctxt_switches "$pid")
    hwm=$(vm_hwm_kb "$pid" 2>/dev/null || true)
    # A figure counts only if the main command was still running throughout.
    if [[ -n $(cat /proc/"$pid"/task/"$pid"/children 2>/dev/null || true) && -n $hwm ]]; then
        wakeups[$name]=$((after - switches_before[$name]))
        idle_hwm[$name]=$hwm
    else
        say "pid1.sh: $name: sleep ended before the idle window did"
    fi
done
for pid in "${background[@]}"; do wait "$pid" || true; done
background=()

# ---------------------------------------------------------------------------------------------
# 4. Start to exit: `INIT -- /bin/true` end to end, against a bare `unshare ... /bin/true`.

say "pid1.sh: start to exit, $latency_runs runs per init"
declare -A latency_us cpu_used_us latency_failed
for name in bare "${available[@]}"; do latency_us[$name]=0 cpu_used_us[$name]=0; done
for ((round = 0; round < latency_rounds; ++round)); do
    for name in bare "${available[@]}"; do
        init_argv "$name"
        children_cpu_us
        cpu_begin=$cpu_us
        begin=${EPOCHREALTIME//[!0-9]/}  # microseconds, without forking
        for ((i = 0; i < per_round; ++i)); do
            "${unshare[@]}" "${argv[@]}" /bin/true </dev/null 2>>"$tmp/$name.err" ||
                latency_failed[$name]=1
        done
        end=${EPOCHREALTIME//[!0-9]/}
        children_cpu_us
        latency_us[$name]=$((latency_us[$name] + end - begin))
        cpu_used_us[$name]=$((cpu_used_us[$name] + cpu_us - cpu_begin))
    done
done

# ---------------------------------------------------------------------------------------------
# The table. Every figure: lower is better.

declare -A col_reap col_phase col_storm col_wake col_idle_hwm col_true col_own col_cpu
per_run_ms() { awk -v us="$1" -v n="$latency_runs" 'BEGIN { printf "%.2f", us / n / 1e3 }'; }

# shellcheck disable=SC2034  # the col_* arrays are read through the nameref in cell()
{
    for name in "${available[@]}"; do
        if [[ -s $tmp/$name.reap_total ]]; then
            col_reap[$name]=$(median <"$tmp/$name.reap_total" | awk '{ printf "%.0f", $1 / 1000 }')
            col_phase[$name]=$(median <"$tmp/$name.reap_phase" | awk '{ printf "%.0f", $1 / 1000 }')
            col_storm[$name]=$(median <"$tmp/$name.reap_hwm")
        fi
        col_wake[$name]=${wakeups[$name]:-}
        col_idle_hwm[$name]=${idle_hwm[$name]:-}
        if [[ -z ${latency_failed[$name]:-} ]]; then
            col_true[$name]=$(per_run_ms "${latency_us[$name]}")
            col_own[$name]=$(per_run_ms "$((latency_us[$name] - latency_us[bare]))")
            col_cpu[$name]=$(per_run_ms "$((cpu_used_us[$name] - cpu_used_us[bare]))")
        fi
    done
    if [[ -z ${latency_failed[bare]:-} ]]; then
        col_true[bare]=$(per_run_ms "${latency_us[bare]}")
        col_cpu[bare]=$(per_run_ms "${cpu_used_us[bare]}")
    fi
}

# cell COLUMN NAME: "value (ratio x)" against tini; "-" where there is no figure.
cell() {
    local -n col=$1
    local value=${col[$2]:-} base=${col[tini]:-}
    if [[ -z $value ]]; then
        printf -- '-'
    elif [[ $2 == tini || $2 == bare ]]; then
        printf '%s' "$value"
    else
        awk -v v="$value" -v b="$base" 'BEGIN {
            if (b == "" || b + 0 <= 0) printf "%s", v
            else printf "%s (%.2fx)", v, v / b }'
    fi
}

echo "Lower is better everywhere; (N.NNx) is the ratio to tini. Reaping: median of $reap_runs runs."
echo "Idle: one ${idle_seconds}s window. Start to exit: mean of $latency_runs runs; 'init cost' and"
echo "'init CPU' (user + system, all processes of the run) subtract bare unshare's."
echo
echo "| init | reap ${orphans} orphans, ms (first fork to none left) | of which reaping, ms (reparent to none left) | idle wakeups in ${idle_seconds} s | peak RSS idle, kB | peak RSS after storm, kB | start to exit, ms | init cost, ms | init CPU, ms |"
echo "|---|---|---|---|---|---|---|---|---|"
for name in "${inits[@]}"; do
    if [[ ${state[$name]} != ok ]]; then
        echo "| $name | ${state[$name]} | | | | | | | |"
        continue
    fi
    echo "| $name | $(cell col_reap "$name") | $(cell col_phase "$name") | $(cell col_wake "$name")" \
        "| $(cell col_idle_hwm "$name") | $(cell col_storm "$name") | $(cell col_true "$name")" \
        "| $(cell col_own "$name") | $(cell col_cpu "$name") |"
done
echo "| bare unshare | | | | | | $(cell col_true bare) | 0 | 0 ($(cell col_cpu bare) in all) |"
echo
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) at end"
