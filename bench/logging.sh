#!/usr/bin/env bash
# bench/logging.sh: services' output carried to files, side by side in one run: svinit's
# prefix mode (every line to its stdout, a file here) and file mode (NAME.log, rotated by
# size, in svinit's loop), runit (runsvdir, runsv, one svlogd per service), s6 (s6-svscan,
# s6-supervise, one s6-log per service), and `cat` into a file per service as the limit.
# Each service writes LINES lines of about 70 bytes as fast as it can, then sleeps; the
# figure is the time until every line is in its file, and the CPU time the carrying took:
# the supervisor's and its loggers' processes (utime + stime), not the writers'.
# docs/benchmarks.md ("Logging") has the results and how to read them.
#
#   bash bench/logging.sh
#
# Environment (defaults in brackets): SVINIT [build/bin/svinit], SERVICES [4],
# LINES [250000] per service, ROUNDS [3] (the median is reported). No root needed; about
# a minute on two cores.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
svinit=${SVINIT:-$repo/build/bin/svinit}
services=${SERVICES:-4}
lines=${LINES:-250000}
rounds=${ROUNDS:-3}
total=$((services * lines))
rotate=1000000  # bytes per file before rotation, for every logger (svlogd's default)

say() { printf '%s\n' "$*" >&2; }

tmp=$(mktemp -d)
live=""  # the tag of the run being measured
cleanup() {
    [[ -n $live ]] && kill_tagged "$live"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x $svinit ]] || { say "bench: $svinit not built"; exit 1; }
cp "$svinit" "$tmp/svinit"  # a rebuild during the run changes nothing

declare -A state
for sup in svinit-prefix svinit-file cat; do state[$sup]=ok; done
if command -v runsvdir >/dev/null && command -v svlogd >/dev/null; then state[runit]=ok
else state[runit]="not installed (apt-get install runit)"; fi
if command -v s6-svscan >/dev/null && command -v s6-log >/dev/null; then state[s6]=ok
else state[s6]="not installed (apt-get install s6)"; fi

# The writer: LINES numbered lines, then it stays (a supervisor would restart an exit).
writer() {
    printf '#!/bin/sh\nseq -f "service %s line %%.0f, padded to about seventy bytes ....." 1 %s\nexec sleep 100000\n' \
        "$1" "$lines"
}

# Lines in every file below DIR (rotated ones too).
count_lines() { find "$1" -type f ! -name lock ! -name state ! -name config -print0 |
    xargs -0 -r cat | wc -l; }

# The processes of one run carry its tag in their environment (every supervisor here passes
# its environment on), so that they are found whatever sessions and groups they made.
tagged() {
    local p
    for p in /proc/[0-9]*; do
        if grep -qzx "BENCH_LOGGING_TAG=$1" "$p/environ" 2>/dev/null; then echo "${p#/proc/}"; fi
    done
}

# CPU seconds (utime + stime) of the tagged processes whose command name is one of $2...
cpu_of() {
    local tag=$1; shift
    local want=" $* " sum=0 pid comm fields
    for pid in $(tagged "$tag"); do
        comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
        [[ $want == *" $comm "* ]] || continue
        read -r -a fields <"/proc/$pid/stat" 2>/dev/null || continue
        sum=$((sum + fields[13] + fields[14]))
    done
    echo "scale=3; $sum / $(getconf CLK_TCK)" | bc
}

kill_tagged() {
    local pids
    pids=$(tagged "$1")
    [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
}

# Runs "$@" tagged, waits until DIR holds $total lines, and prints "SECONDS CPU" with CPU
# taken from the processes named in $names.
measure() {
    local dir=$1; shift
    local tag=$dir start end cpu
    start=$(date +%s.%N)
    BENCH_LOGGING_TAG=$tag "$@" >"$tmp/out" 2>"$tmp/err" </dev/null &
    local top=$!
    live=$tag
    while (($(count_lines "$dir") < total)); do
        sleep 0.05
        kill -0 "$top" 2>/dev/null || { say "bench: $1 exited: $(tail -3 "$tmp/err")"; return 1; }
    done
    end=$(date +%s.%N)
    cpu=$(cpu_of "$tag" $names)
    kill_tagged "$tag"
    wait 2>/dev/null || true
    live=""
    echo "$(echo "$end - $start" | bc) $cpu"
}

run_one() {
    local sup=$1 root=$tmp/$sup
    rm -rf "$root"
    mkdir -p "$root/svc" "$root/logs"
    for ((i = 0; i < services; i++)); do
        mkdir -p "$root/svc/s$i"
        writer "$i" >"$root/svc/s$i/run"
        chmod +x "$root/svc/s$i/run"
    done
    case $sup in
    svinit-prefix)
        names="svinit"
        # svinit's stdout is the file: measure() sends it to $tmp/out, counted there.
        rm -rf "$root/logs"; mkdir -p "$root/logs"
        measure "$root/logs" bash -c "exec '$tmp/svinit' --service-output=prefix \
            --control-socket '$root/control.sock' --service-dir '$root/svc' >'$root/logs/stdout'"
        ;;
    svinit-file)
        names="svinit"
        measure "$root/logs" "$tmp/svinit" --service-output=file --service-log-dir "$root/logs" \
            --service-log-max-size "$rotate" --service-log-keep 1000 \
            --control-socket "$root/control.sock" --service-dir "$root/svc"
        ;;
    runit)
        names="runsvdir runsv svlogd"
        for ((i = 0; i < services; i++)); do
            mkdir -p "$root/svc/s$i/log" "$root/logs/s$i"
            printf 's%s\nn0\n' "$rotate" >"$root/logs/s$i/config"
            printf '#!/bin/sh\nexec svlogd %s\n' "$root/logs/s$i" >"$root/svc/s$i/log/run"
            chmod +x "$root/svc/s$i/log/run"
        done
        measure "$root/logs" runsvdir -P "$root/svc"
        ;;
    s6)
        names="s6-svscan s6-supervise s6-log"
        for ((i = 0; i < services; i++)); do
            mkdir -p "$root/svc/s$i/log"
            printf '#!/bin/sh\nexec s6-log n1000 s%s %s\n' "$rotate" "$root/logs/s$i" \
                >"$root/svc/s$i/log/run"
            chmod +x "$root/svc/s$i/log/run"
        done
        measure "$root/logs" s6-svscan "$root/svc"
        ;;
    cat)
        names="cat"
        local script=$root/cats.sh
        {
            echo '#!/bin/bash'
            for ((i = 0; i < services; i++)); do
                echo "'$root/svc/s$i/run' | cat >'$root/logs/s$i' &"
            done
            echo wait
        } >"$script"
        measure "$root/logs" bash "$script"
        ;;
    esac
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

declare -A wall cpu
for sup in svinit-prefix svinit-file runit s6 cat; do
    [[ ${state[$sup]} == ok ]] || { say "bench: $sup: ${state[$sup]}"; continue; }
    : >"$tmp/walls"; : >"$tmp/cpus"
    for ((r = 0; r < rounds; r++)); do
        read -r w c < <(run_one "$sup")
        echo "$w" >>"$tmp/walls"; echo "$c" >>"$tmp/cpus"
    done
    wall[$sup]=$(median <"$tmp/walls")
    cpu[$sup]=$(median <"$tmp/cpus")
    say "bench: $sup: ${wall[$sup]} s, ${cpu[$sup]} CPU s"
done

printf '\n%d services x %d lines (%d lines, about %d MB), median of %d rounds\n\n' \
    "$services" "$lines" "$total" "$((total * 70 / 1000000))" "$rounds"
printf '| %-14s | %12s | %10s | %16s | %10s | %10s |\n' carrier "lines/s" "wall s" \
    "CPU s / M lines" "processes" "vs svlogd"
printf '|%s|%s|%s|%s|%s|%s|\n' ---------------- -------------- ------------ \
    ------------------ ------------ ------------
for sup in svinit-prefix svinit-file runit s6 cat; do
    [[ -n ${wall[$sup]:-} ]] || continue
    case $sup in
    svinit-*) procs=1 ;;
    runit) procs=$((1 + 2 * services + services)) ;;  # runsvdir, a runsv per service and logger, svlogd
    s6) procs=$((1 + 2 * services + services)) ;;
    cat) procs=$services ;;
    esac
    rate=$(echo "$total / ${wall[$sup]}" | bc)
    per_m=$(echo "scale=3; ${cpu[$sup]} * 1000000 / $total" | bc)
    vs=-
    if [[ -n ${cpu[runit]:-} ]]; then
        vs=$(echo "scale=2; (${per_m}) / (${cpu[runit]} * 1000000 / $total)" | bc)
        vs="${vs}x CPU"
    fi
    printf '| %-14s | %12s | %10s | %16s | %10s | %10s |\n' "$sup" "$rate" "${wall[$sup]}" \
        "$per_m" "$procs" "$vs"
done
