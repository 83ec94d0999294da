#!/usr/bin/env bash
# bench/services.sh: svinit (io_uring and epoll backends), runit (runsvdir + runsv) and s6
# (s6-svscan + s6-supervise) supervising N runit-style services (`exec sleep 100000`), each as an
# ordinary process on the host in a temp dir of its own; prints absolute figures and ratios.
# docs/benchmarks.md ("Service supervision") says what each figure means and how it is taken.
#
#   bash bench/services.sh
#
# Environment (defaults in brackets): SVINIT [build/bin/svinit], SVCTL [build/bin/svctl],
# COUNTS ["10 100 1000"], SUPS ["svinit-io_uring svinit-epoll runit s6"; a subset leaves the
# others' columns out, as bench/headline.sh does], IDLE_SECONDS [10; 5 at 1,000 services],
# RESTART_N [100; 0: no restart runs], RESTARTS [20], UP_TIMEOUT [60: seconds for all up].
# No root needed (as root, the fd limit is raised). About five minutes on two cores.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
svinit=${SVINIT:-$repo/build/bin/svinit}
svctl=${SVCTL:-$repo/build/bin/svctl}
read -r -a counts <<<"${COUNTS:-10 100 1000}"
idle_seconds=${IDLE_SECONDS:-}
restart_n=${RESTART_N:-100}
restarts=${RESTARTS:-20}
up_timeout=${UP_TIMEOUT:-60}
# 10,000 services need more fds than a common hard limit (svinit: a pidfd and runit's
# supervise/ files per service); root with CAP_SYS_RESOURCE may raise it, as a service
# manager's unit would. Where it may not, SVINIT_ARGS=--no-supervise-dir needs one per service.
ulimit -Hn "$(cat /proc/sys/fs/nr_open)" 2>/dev/null && ulimit -n "$(ulimit -Hn)" || true
read -r -a svinit_args <<<"${SVINIT_ARGS:-}"

read -r -a sups <<<"${SUPS:-svinit-io_uring svinit-epoll runit s6}"
declare -A state  # supervisor -> ok, or why it is left out
declare -A R      # "metric sup N" -> figure

say() { printf '%s\n' "$*" >&2; }

tmp=$(mktemp -d)
live_root=""      # the supervisor being measured, and every pid of its tree
cleanup() {
    if [[ -n $live_root ]]; then
        local pids=("$live_root")
        [[ -s $tmp/pids ]] && mapfile -t -O 1 pids <"$tmp/pids"
        kill -STOP "${pids[@]}" 2>/dev/null || true
        "$probe" tree "$live_root" >/dev/null 2>"$tmp/pids" || true
        mapfile -t -O 1 pids <"$tmp/pids"
        kill -KILL "${pids[@]}" 2>/dev/null || true
        wait "$live_root" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -o "$tmp/probe" "$repo/bench/services_probe.c"
probe=$tmp/probe

# Copies, so that a rebuild of the tree during the run changes nothing.
for s in svinit-io_uring svinit-epoll; do
    if [[ -x $svinit && -x $svctl ]]; then state[$s]=ok; else state[$s]="not built ($svinit)"; fi
done
if [[ ${state[svinit-epoll]} == ok ]]; then
    cp "$svinit" "$tmp/svinit" && cp "$svctl" "$tmp/svctl"
    svinit=$tmp/svinit svctl=$tmp/svctl
fi
if command -v runsvdir >/dev/null && [[ -x /usr/bin/sv ]]; then state[runit]=ok
else state[runit]="not installed"; fi
if command -v s6-svscan >/dev/null && command -v s6-svscanctl >/dev/null; then state[s6]=ok
else state[s6]="not installed"; fi
runit_sv=/usr/bin/sv  # build/bin holds an `sv` too (svctl by another name): use runit's own

# Microseconds that "$@" takes, the median of `reps` runs (output discarded).
time_us() {
    local reps=$1 i t0 t1 ts=()
    shift
    for ((i = 0; i < reps; i++)); do
        t0=${EPOCHREALTIME/./}
        "$@" >/dev/null 2>&1 || true
        t1=${EPOCHREALTIME/./}
        ts+=($((t1 - t0)))
    done
    printf '%s\n' "${ts[@]}" | sort -n | sed -n "$(((reps + 1) / 2))p"
}
s6_status_all() { local s; for s in "$1"/*; do s6-svstat "$s"; done; }

# One service dir per service: s0000 stamps its start (the restart probe), the rest just sleep.
make_services() {
    local dir=$1 n=$2 stamp=$3 i
    mkdir -p "$dir"
    for ((i = 0; i < n; i++)); do
        local s
        s=$(printf '%s/s%04d' "$dir" "$i")
        mkdir "$s"
        if ((i == 0)); then
            printf '#!/bin/sh\nexec %s stamp %s sleep 100000\n' "$probe" "$stamp" >"$s/run"
        else
            printf '#!/bin/sh\nexec sleep 100000\n' >"$s/run"
        fi
        chmod +x "$s/run"
    done
}

measure() {
    local sup=$1 n=$2 d=$tmp/$sup-$n pid
    local svc=$d/svc stamp=$d/stamp
    mkdir -p "$d"
    make_services "$svc" "$n" "$stamp"
    local t0=${EPOCHREALTIME/./}
    case $sup in
        svinit-*) "$svinit" -q --event-loop="${sup#svinit-}" "${svinit_args[@]}" --service-dir "$svc" \
                      --control-socket "$d/sock" </dev/null >"$d/log" 2>&1 & ;;
        runit) runsvdir -P "$svc" </dev/null >"$d/log" 2>&1 & ;;
        # -c: s6-svscan supervises at most 500 services unless told more.
        s6) s6-svscan -c "$((n > 500 ? n : 500))" "$svc" </dev/null >"$d/log" 2>&1 & ;;
    esac
    pid=$!
    live_root=$pid
    : >"$tmp/pids"

    # 1. all services up: N sleeps in the tree (bounded poll)
    local nsup rss ctxt nsleep deadline=$((SECONDS + up_timeout))
    while :; do
        read -r nsup rss ctxt nsleep < <("$probe" tree "$pid" 2>"$tmp/pids")
        ((nsleep >= n)) && break
        if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
            say "services.sh: $sup with $n services: only $nsleep up after $up_timeout s; log:"
            head -5 "$d/log" >&2
            state[$sup]="failed at $n services"
            # stop the tree first, so nothing is spawned between the listing and the kill
            kill -STOP "$pid" $(cat "$tmp/pids") 2>/dev/null || true
            "$probe" tree "$pid" >/dev/null 2>"$tmp/pids" || true
            kill -KILL "$pid" $(cat "$tmp/pids") 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            live_root=""
            return 1
        fi
        sleep 0.05
    done
    R["up $sup $n"]=$(((${EPOCHREALTIME/./} - t0) / 1000))
    sleep 1  # let start-up settle (runsv and s6-supervise write their state files)
    read -r nsup rss ctxt nsleep < <("$probe" tree "$pid" 2>"$tmp/pids")
    R["procs $sup $n"]=$nsup
    R["rss $sup $n"]=$rss
    R["pss $sup $n"]=$("$probe" pss "$pid")

    # 2. idle wakeups
    local idle=${idle_seconds:-$((n >= 1000 ? 5 : 10))} c0=$ctxt
    sleep "$idle"
    read -r nsup rss ctxt nsleep < <("$probe" tree "$pid" 2>"$tmp/pids")
    R["wake $sup $n"]=$(((ctxt - c0) * 10 / idle))  # per 10 s
    R["idle $n"]=$idle

    # 3. restart latency (one N only: every restart waits 1.1 s of run time first)
    if ((n == restart_n)); then
        "$probe" restarts "$stamp" "$restarts" | sort -n >"$d/lat"
        R["rmed $sup $n"]=$(sed -n "$(((restarts + 1) / 2))p" "$d/lat")
        R["rp99 $sup $n"]=$(sed -n "$(((restarts * 99 + 99) / 100))p" "$d/lat")
        sleep 0.5
    fi

    # 4. status: every service, then one
    case $sup in
        svinit-*)
            R["stall $sup $n"]=$(time_us 5 "$svctl" --socket "$d/sock" status)
            R["sone $sup $n"]=$(time_us 11 "$svctl" --socket "$d/sock" status s0001) ;;
        runit)
            R["stall $sup $n"]=$(time_us 5 "$runit_sv" status "$svc"/*)
            R["sone $sup $n"]=$(time_us 11 "$runit_sv" status "$svc/s0001") ;;
        s6)
            R["stall $sup $n"]=$(time_us 3 s6_status_all "$svc")
            R["sone $sup $n"]=$(time_us 11 s6-svstat "$svc/s0001") ;;
    esac

    # 5. shutdown: from the stop request until every supervisor and service pid is gone
    "$probe" tree "$pid" >/dev/null 2>"$tmp/pids"
    local ns
    case $sup in
        svinit-*) ns=$("$probe" stop "$tmp/pids" kill -TERM "$pid") ;;
        runit) ns=$("$probe" stop "$tmp/pids" sh -c \
                    '"$1" down "$2"/* >/dev/null; kill -HUP "$3"' sh "$runit_sv" "$svc" "$pid") ;;
        s6) ns=$("$probe" stop "$tmp/pids" s6-svscanctl -t "$svc") ;;
    esac
    R["stop $sup $n"]=$((ns / 1000))
    wait "$pid" 2>/dev/null || true
    live_root=""
    rm -rf "$d"
}

say "services.sh: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in "${counts[@]}"; do
    for sup in "${sups[@]}"; do
        [[ ${state[$sup]} == ok ]] || continue
        say "services.sh: $sup, $n services"
        measure "$sup" "$n" || true
    done
done

# The bare reference for restart latency: this probe as the supervisor, fork + exec + waitpid.
if ((restart_n > 0)); then
    mkdir -p "$tmp/bare/svc"
    make_services "$tmp/bare/svc" 1 "$tmp/bare/stamp"
    "$probe" baseline "$tmp/bare/svc/s0000" "$tmp/bare/stamp" "$restarts" | sort -n >"$tmp/bare/lat"
    bare_med=$(sed -n "$(((restarts + 1) / 2))p" "$tmp/bare/lat")
    bare_p99=$(sed -n "$(((restarts * 99 + 99) / 100))p" "$tmp/bare/lat")
fi
say "services.sh: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- table
ratio() {  # a / b to two places, or - when either is missing or b is 0
    local a=${1:-} b=${2:-}
    if [[ -z $a || -z $b || $a == - || $b == - || $b == 0 ]]; then printf -- '-'; return; fi
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'
}
row() {  # metric label n
    local m=$1 label=$2 n=$3 s line
    line="| $label | $n |"
    for s in "${sups[@]}"; do line+=" ${R["$m $s $n"]:--} |"; done
    line+=" $(ratio "${R["$m svinit-io_uring $n"]:-}" "${R["$m runit $n"]:-}") |"
    line+=" $(ratio "${R["$m svinit-io_uring $n"]:-}" "${R["$m s6 $n"]:-}") |"
    printf '%s\n' "$line"
}
for s in "${sups[@]}"; do
    [[ ${state[$s]} == ok ]] || say "services.sh: $s left out: ${state[$s]}"
done
header="| measure | N |" rule="|---|--:|"
for s in "${sups[@]}"; do header+=" ${s/-/ } |" rule+="--:|"; done
printf '%s io_uring/runit | io_uring/s6 |\n%s--:|--:|\n' "$header" "$rule"
for n in "${counts[@]}"; do row up "all up (ms)" "$n"; done
for n in "${counts[@]}"; do row procs "supervisor processes" "$n"; done
for n in "${counts[@]}"; do row rss "supervisor RSS (kB)" "$n"; done
for n in "${counts[@]}"; do row pss "supervisor PSS (kB)" "$n"; done
for n in "${counts[@]}"; do row wake "idle wakeups per 10 s (over ${R["idle $n"]:-?} s)" "$n"; done
if ((restart_n > 0)); then
    row rmed "restart latency median (µs)" "$restart_n"
    row rp99 "restart latency p99 (µs)" "$restart_n"
fi
for n in "${counts[@]}"; do row stall "status, all services (µs)" "$n"; done
for n in "${counts[@]}"; do row sone "status, one service (µs)" "$n"; done
for n in "${counts[@]}"; do row stop "shutdown (µs)" "$n"; done
if ((restart_n > 0)); then
    printf '\nbare fork+exec+waitpid restart (this probe as the supervisor): median %s µs, p99 %s µs\n' \
        "$bare_med" "$bare_p99"
fi
