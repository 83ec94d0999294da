#!/usr/bin/env bash
# bench/headline.sh: the README's three headline figures side by side, from short runs of the
# two benchmarks that measure them (nothing is measured here):
#   idle wakeups in 10 s   svinit and tini as PID 1 of one command (bench/pid1.sh), and svinit,
#                          runit and s6 supervising 100 services (bench/services.sh);
#   memory at 1,000 services: the summed PSS of each supervisor's own processes (services.sh);
#   shutdown of 100 services: stop request to every pid gone (services.sh).
# Writes bench/results/headline.csv and, beside it, both scripts' full output
# (headline-pid1.md, headline-services.md), so every figure in the CSV can be traced to its
# table. bench/headline_plot.py draws the CSV.
#
#   bash bench/headline.sh && /usr/bin/python3 bench/headline_plot.py
#
# Environment: SVINIT, SVCTL (as the two scripts), OUT [bench/results]. Needs root (pid1.sh's
# PID namespaces) and the peers (scripts/install-deps.sh --bench). About five minutes on two
# cores; only svinit's io_uring backend runs (the two backends' figures are the same within
# noise in docs/benchmarks.md).
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${OUT:-$repo/bench/results}
mkdir -p "$out"
pid1_md=$out/headline-pid1.md
services_md=$out/headline-services.md

say() { printf '%s\n' "$*" >&2; }

say "headline.sh: bench/pid1.sh (idle wakeups as PID 1)"
ORPHANS=1000 REAP_RUNS=1 IDLE_SECONDS=10 LATENCY_RUNS=10 \
    bash "$repo/bench/pid1.sh" >"$pid1_md"
say "headline.sh: bench/services.sh (100 and 1,000 services)"
SUPS="svinit-io_uring runit s6" COUNTS="100 1000" IDLE_SECONDS=10 RESTART_N=0 \
    bash "$repo/bench/services.sh" >"$services_md"

# pid1_cell INIT COLUMN: a figure of pid1.sh's table ("0 (0.00x)" -> 0), by the column's
# heading; empty when the init has no figure.
pid1_cell() {
    awk -F' *[|] *' -v init="$1" -v head="$2" '
        /^[|] init [|]/ { for (i = 2; i < NF; ++i) if (index($i, head) == 1) col = i }
        col && $2 == init { split($col, w, " "); if (w[1] != "-") print w[1]; exit }' "$pid1_md"
}
# services_cell SUP MEASURE N: a figure of services.sh's table, by the supervisor's column
# heading ("svinit io_uring", "runit", "s6"), the row's measure (a prefix) and N.
services_cell() {
    awk -F' *[|] *' -v sup="$1" -v measure="$2" -v n="$3" '
        /^[|] measure [|]/ { for (i = 2; i < NF; ++i) if ($i == sup) col = i }
        col && index($2, measure) == 1 && $3 == n { if ($col != "-") print $col; exit }' "$services_md"
}

csv=$out/headline.csv
{
    echo "figure,system,setup,value,unit,source"
    row() {  # figure system setup value unit source; a missing value leaves the row out
        if [[ -z $4 ]]; then
            say "headline.sh: no figure for $1 / $2 ($3); see $6"
            return
        fi
        echo "$1,$2,$3,$4,$5,$6"
    }
    wake_pid1="idle wakeups in 10 s"
    row idle_wakeups tini "PID 1 of one command" "$(pid1_cell tini "$wake_pid1")" \
        wakeups bench/pid1.sh
    row idle_wakeups svinit "PID 1 of one command" "$(pid1_cell svinit-io_uring "$wake_pid1")" \
        wakeups bench/pid1.sh
    for sup in "svinit io_uring" runit s6; do
        row idle_wakeups "${sup%% *}" "100 services" \
            "$(services_cell "$sup" "idle wakeups per 10 s" 100)" wakeups bench/services.sh
    done
    for sup in "svinit io_uring" runit s6; do
        row pss_1000 "${sup%% *}" "1000 services" \
            "$(services_cell "$sup" "supervisor PSS (kB)" 1000)" kB bench/services.sh
    done
    for sup in "svinit io_uring" runit s6; do
        us=$(services_cell "$sup" "shutdown (µs)" 100)
        row shutdown_100 "${sup%% *}" "100 services" \
            "${us:+$(awk -v us="$us" 'BEGIN { printf "%.1f", us / 1000 }')}" ms bench/services.sh
    done
} >"$csv"
say "headline.sh: wrote $csv"
cat "$csv"
