#!/usr/bin/env bash
# bench/soak.sh: svinit as PID 1 of a fresh PID namespace supervising SERVICES services for
# MINUTES minutes while everything a long life brings happens at once:
#   - CRASHY of them crash-loop (each start appends a line to its own stamp file);
#   - every second a service with a logger is added and another one removed;
#   - `svctl status` runs in a loop;
#   - hostile clients (bench/soak_client.c) connect, half-send, wait forever and vanish.
# Every SAMPLE seconds svinit's open fds, RSS (kB) and CPU time (ticks) are written to
# OUT.csv; at the end the run checks zero crashes (svinit still answering, then a clean
# shutdown with exit 0) and zero lost exit statuses (every crash-looping service is still
# cycling and svinit counted as many restarts as its run started, less the one running).
# bench/soak_plot.py OUT.csv OUT.png draws the samples.
#
#   sudo bash bench/soak.sh                 # 10 minutes, 1,000 services, 100 crashing
#   MINUTES=30 OUT=/tmp/soak bash bench/soak.sh
#
# Environment: SVINIT [build/bin/svinit], SVCTL [build/bin/svctl], SERVICES [1000],
# CRASHY [100], MINUTES [10], SAMPLE [10], BACKEND [io_uring], BACKOFF_MAX [1], OUT [bench-soak]. Needs root
# (unshare --pid).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
svinit=${SVINIT:-$repo/build/bin/svinit}
svctl=${SVCTL:-$repo/build/bin/svctl}
services=${SERVICES:-1000}
crashy=${CRASHY:-100}
minutes=${MINUTES:-10}
sample=${SAMPLE:-10}
backend=${BACKEND:-io_uring}
# A short backoff cap keeps the crash loops restarting about once a second, not every 30 s.
backoff_max=${BACKOFF_MAX:-1}
out=${OUT:-bench-soak}

say() { printf 'soak: %s\n' "$*" >&2; }

tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -n ${host_pid:-} ]] && kill -KILL "$host_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -o "$tmp/soak_client" "$repo/bench/soak_client.c"
svc=$tmp/service
mkdir -p "$svc" "$tmp/stamps"
for ((i = 0; i < services; i++)); do
    name=$(printf 's%04d' "$i")
    mkdir -p "$svc/$name"
    if ((i < crashy)); then
        name=$(printf 'c%03d' "$i")
        mkdir -p "$svc/$name"
        rmdir "$svc/$(printf 's%04d' "$i")"
        printf '#!/bin/sh\necho x >> %s/stamps/%s\nexit 1\n' "$tmp" "$name" >"$svc/$name/run"
        chmod +x "$svc/$name/run"
    else
        printf '#!/bin/sh\nexec sleep 100000\n' >"$svc/$name/run"
        chmod +x "$svc/$name/run"
    fi
done
sock=$tmp/control.sock

say "starting svinit ($backend) with $services services, $crashy crash-looping, for $minutes min"
unshare --pid --fork --mount-proc "$svinit" --event-loop "$backend" --service-dir "$svc" \
    --control-socket "$sock" --log-level warn --backoff-max "$backoff_max" 2>"$tmp/svinit.log" &
unshare_pid=$!
for _ in $(seq 1 200); do [[ -S $sock ]] && break; sleep 0.1; done
host_pid=$(pgrep -P "$unshare_pid" -x svinit || true)
[[ -n $host_pid ]] || { say "svinit did not start"; cat "$tmp/svinit.log" >&2; exit 1; }

# Churn: a service with a logger added, and the one added before removed, every second.
(
    n=0
    while :; do
        d=$svc/churn$((n % 2))
        rm -rf "$d"
        # Built under a dot name, which svinit (like runsvdir) ignores, then renamed in.
        tmpd=$svc/.churn$((n % 2)).new
        mkdir -p "$tmpd/log"
        printf '#!/bin/sh\nwhile :; do echo tick; sleep 0.2; done\n' >"$tmpd/run"
        printf '#!/bin/sh\nexec cat >/dev/null\n' >"$tmpd/log/run"
        chmod +x "$tmpd/run" "$tmpd/log/run"
        mv "$tmpd" "$d"
        n=$((n + 1))
        sleep 1
    done
) &
pids+=($!)
( while :; do "$svctl" --socket "$sock" status >/dev/null 2>&1 || true; done ) &
pids+=($!)
"$tmp/soak_client" "$sock" 32 &
pids+=($!)

echo "seconds,fds,rss_kb,cpu_ticks" >"$out.csv"
start=$SECONDS
end=$((start + minutes * 60))
while ((SECONDS < end)); do
    if ! kill -0 "$host_pid" 2>/dev/null; then
        say "svinit died"; cat "$tmp/svinit.log" >&2; exit 1
    fi
    fds=$(ls "/proc/$host_pid/fd" | wc -l)
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$host_pid/status")
    cpu=$(awk '{print $14 + $15}' "/proc/$host_pid/stat")
    echo "$((SECONDS - start)),$fds,$rss,$cpu" >>"$out.csv"
    sleep "$sample"
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait "${pids[@]}" 2>/dev/null || true
pids=()

# Zero lost exit statuses: each crash-looping service still cycles, and svinit counted a
# restart for every start but the first.
"$svctl" --socket "$sock" --json status >"$tmp/status.json"
lost=$(python3 - "$tmp/status.json" "$tmp/stamps" <<'PY'
import json, os, sys
services = {s["name"]: s for s in json.load(open(sys.argv[1]))["services"]}
lost = 0
for name in sorted(os.listdir(sys.argv[2])):
    starts = sum(1 for _ in open(os.path.join(sys.argv[2], name)))
    restarts = services[name]["restarts"]
    # The newest start may not be counted yet (running, or its exit in flight).
    if not (starts - 2 <= restarts <= starts - 1):
        print(f"soak: {name}: {starts} starts but {restarts} restarts counted", file=sys.stderr)
        lost += 1
print(lost)
PY
)
kill -TERM "$host_pid"
status=0
wait "$unshare_pid" || status=$?
say "svinit exited with $status; services whose exit statuses went missing: $lost"
say "samples in $out.csv (fds, RSS kB, CPU ticks every ${sample}s)"
grep -v '^$' "$tmp/svinit.log" | tail -5 >&2 || true
((status == 0 && lost == 0))
