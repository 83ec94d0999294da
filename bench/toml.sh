#!/usr/bin/env bash
# bench/toml.sh: TOML services. (1) `svinit --check-config` on N service files; (2) start to
# all up for N independent services (`command = ["sleep", "100000"]`), svinit beside runit
# (runsvdir) and s6 (s6-svscan) supervising the same N as service directories; (3) start to
# all ready for a dependency chain and a tree of DEPTH levels, each service saying READY=1
# DELAY after it starts. Prints absolute figures and ratios; docs/benchmarks.md ("TOML
# services") says what each one means.
#
#   bash bench/toml.sh
#
# Environment (defaults in brackets): SVINIT [build/bin/svinit], SVCTL [build/bin/svctl],
# N [1000], DEPTH [10], WIDTH [10, the tree's services per level], DELAY [0.05 s], REPS [3].
# No root needed. About two minutes on two cores.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
svinit=${SVINIT:-$repo/build/bin/svinit}
svctl=${SVCTL:-$repo/build/bin/svctl}
n=${N:-1000}
depth=${DEPTH:-10}
width=${WIDTH:-10}
delay=${DELAY:-0.05}
reps=${REPS:-3}

say() { printf '%s\n' "$*" >&2; }

tmp=$(mktemp -d)
live_root=""  # the supervisor being measured
stop_tree() {  # stops the supervisor's whole tree: STOP first, so nothing new is spawned
    local root=$1 pids=()
    kill -STOP "$root" 2>/dev/null || true
    "$probe" tree "$root" >/dev/null 2>"$tmp/pids" || true
    mapfile -t pids <"$tmp/pids"
    kill -KILL "$root" "${pids[@]}" 2>/dev/null || true
    wait "$root" 2>/dev/null || true
}
cleanup() {
    [[ -n $live_root ]] && stop_tree "$live_root"
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ -x $svinit && -x $svctl ]] || { say "toml.sh: build svinit and svctl first ($svinit)"; exit 1; }
cp "$svinit" "$tmp/svinit" && cp "$svctl" "$tmp/svctl"  # a rebuild during the run changes nothing
svinit=$tmp/svinit svctl=$tmp/svctl
cc -O2 -o "$tmp/probe" "$repo/bench/services_probe.c"
cc -O2 -o "$tmp/sdnotify" "$repo/tests/helpers/sdnotify.c"
probe=$tmp/probe
declare -A R

now_us() { echo "${EPOCHREALTIME/./}"; }
median() { sort -n | sed -n "$(((reps + 1) / 2))p"; }
ratio() {  # a / b to two places, or - when either is missing or b is 0
    local a=${1:-} b=${2:-}
    if [[ -z $a || -z $b || $a == - || $b == - || $b == 0 ]]; then printf -- '-'; return; fi
    awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'
}

# ---- (1) --check-config on N service files
mkdir -p "$tmp/check/services.d"
printf 'toml-service-dirs = ["services.d"]\n[defaults]\nstop.timeout = "5s"\n' \
    >"$tmp/check/svinit.toml"
for ((i = 0; i < n; i++)); do
    printf 'command = ["/usr/bin/app%d", "--port", "%d"]\nenvironment = { MODE = "prod" }\n[restart]\npolicy = "on-failure"\nbackoff = { initial = "200ms", max = "10s" }\n[stop]\ntimeout = "3s"\n' \
        "$i" $((8000 + i)) >"$(printf '%s/check/services.d/s%04d.toml' "$tmp" "$i")"
done
"$svinit" --check-config --config "$tmp/check/svinit.toml" >/dev/null 2>"$tmp/check.log" ||
    { say "toml.sh: --check-config failed:"; head -5 "$tmp/check.log" >&2; exit 1; }
for ((r = 0; r < 5; r++)); do
    t0=$(now_us)
    "$svinit" --check-config --config "$tmp/check/svinit.toml" >/dev/null 2>&1
    echo $(($(now_us) - t0))
done | sort -n | sed -n 3p >"$tmp/check.us"
R[check]=$(($(cat "$tmp/check.us") / 1000))
# The floor: svinit --check-config on an empty configuration (process start, no services).
printf '' >"$tmp/empty.toml"
for ((r = 0; r < 5; r++)); do
    t0=$(now_us)
    "$svinit" --check-config --config "$tmp/empty.toml" >/dev/null 2>&1
    echo $(($(now_us) - t0))
done | sort -n | sed -n 3p >"$tmp/check0.us"
R[check0]=$(($(cat "$tmp/check0.us") / 1000))
say "toml.sh: --check-config, $n files: ${R[check]} ms (empty: ${R[check0]} ms)"

# ---- (2) all up, N independent services: until the supervisor's tree holds N sleeps
# (bench/services.sh's measure), and for svinit also until `svctl wait up` of all returns.
make_runit_dirs() {
    local dir=$1 i s
    mkdir -p "$dir"
    for ((i = 0; i < n; i++)); do
        s=$(printf '%s/s%04d' "$dir" "$i")
        mkdir "$s"
        printf '#!/bin/sh\nexec sleep 100000\n' >"$s/run"
        chmod +x "$s/run"
    done
}
make_toml_flat() {
    local file=$1 i
    for ((i = 0; i < n; i++)); do
        printf '[services.s%04d]\ncommand = ["sleep", "100000"]\n' "$i"
    done >"$file"
}
# Prints ms until the tree of pid $1 holds $2 sleeps; empty when it never does (60 s).
wait_sleeps() {
    local pid=$1 want=$2 t0=$3 nsup rss ctxt nsleep deadline=$((SECONDS + 60))
    while :; do
        read -r nsup rss ctxt nsleep < <("$probe" tree "$pid" 2>/dev/null)
        if ((nsleep >= want)); then echo $((($(now_us) - t0) / 1000)); return; fi
        if ((SECONDS > deadline)) || ! kill -0 "$pid" 2>/dev/null; then
            say "toml.sh: only $nsleep of $want up after 60 s"
            return
        fi
        sleep 0.05
    done
}
flat_once() {  # sup rep: one start of N services; prints "tree_ms [wait_ms]"
    local sup=$1 d=$tmp/flat-$1-$2 t0 pid up wait_ms=""
    mkdir -p "$d"
    case $sup in
        svinit-toml) make_toml_flat "$d/svinit.toml" ;;
        *) make_runit_dirs "$d/svc" ;;
    esac
    t0=$(now_us)
    case $sup in
        svinit-toml) "$svinit" -q --config "$d/svinit.toml" --control-socket "$d/sock" \
                         </dev/null >"$d/log" 2>&1 & ;;
        svinit-runit) "$svinit" -q --service-dir "$d/svc" --control-socket "$d/sock" \
                          </dev/null >"$d/log" 2>&1 & ;;
        runit) runsvdir -P "$d/svc" </dev/null >"$d/log" 2>&1 & ;;
        s6) s6-svscan "$d/svc" </dev/null >"$d/log" 2>&1 & ;;
    esac
    pid=$!
    live_root=$pid
    if [[ $sup == svinit-toml ]]; then
        # svctl's own answer: every service in state run.
        until [[ -S $d/sock ]]; do sleep 0.01; done
        local names=()
        mapfile -t names < <(for ((i = 0; i < n; i++)); do printf 's%04d\n' "$i"; done)
        "$svctl" --socket "$d/sock" wait up --timeout 60 "${names[@]}" >/dev/null &&
            wait_ms=$((($(now_us) - t0) / 1000))
    fi
    up=$(wait_sleeps "$pid" "$n" "$t0")
    stop_tree "$pid"
    live_root=""
    rm -rf "$d"
    echo "${up:--} ${wait_ms}"
}
sups=(svinit-toml svinit-runit)
command -v runsvdir >/dev/null && sups+=(runit) || say "toml.sh: runit not installed"
command -v s6-svscan >/dev/null && sups+=(s6) || say "toml.sh: s6 not installed"
for sup in "${sups[@]}"; do
    : >"$tmp/up" && : >"$tmp/wait"
    for ((r = 0; r < reps; r++)); do
        read -r up wait_ms < <(flat_once "$sup" "$r")
        echo "$up" >>"$tmp/up"
        [[ -n ${wait_ms:-} ]] && echo "$wait_ms" >>"$tmp/wait"
    done
    if grep -q -- - "$tmp/up"; then R["up $sup"]=-; else R["up $sup"]=$(median <"$tmp/up"); fi
    [[ -s $tmp/wait ]] && R["wait $sup"]=$(median <"$tmp/wait")
    say "toml.sh: all up, $n services, $sup: ${R["up $sup"]} ms (runs: $(tr '\n' ' ' <"$tmp/up"))"
done

# ---- (3) dependencies: all ready for a chain and a tree of `depth` levels
# Every service: sh sleeps DELAY, then sdnotify says READY=1 and becomes `sleep`.
dep_service() {  # name, requires (a TOML array body)
    printf '[services.%s]\ncommand = ["/bin/sh", "-c", "sleep %s; exec %s READY=1 sleep 100000"]\n' \
        "$1" "$delay" "$tmp/sdnotify"
    printf 'type = "notify"\nrequires = [%s]\n\n' "$2"
}
make_chain() {  # levels
    local file=$1 levels=$2 l
    for ((l = 0; l < levels; l++)); do
        dep_service "l$l" "$( ((l > 0)) && printf '"l%d"' $((l - 1)))"
    done >"$file"
}
make_tree() {  # levels: one root, then `width` a level, each requiring one of the level before
    local file=$1 levels=$2 l i
    {
        dep_service "t0_0" ""
        for ((l = 1; l < levels; l++)); do
            local prev=$((l == 1 ? 1 : width))
            for ((i = 0; i < width; i++)); do dep_service "t${l}_$i" "\"t$((l - 1))_$((i % prev))\""; done
        done
    } >"$file"
}
deps_once() {  # kind levels: prints ms until `svctl wait up` of every service returns
    local kind=$1 levels=$2 d=$tmp/deps-$1-$2 t0 pid names=()
    mkdir -p "$d"
    "make_$kind" "$d/svinit.toml" "$levels"
    mapfile -t names < <(sed -n 's/^\[services\.\(.*\)\]$/\1/p' "$d/svinit.toml")
    t0=$(now_us)
    "$svinit" -q --config "$d/svinit.toml" --control-socket "$d/sock" </dev/null >"$d/log" 2>&1 &
    pid=$!
    live_root=$pid
    until [[ -S $d/sock ]]; do sleep 0.01; done
    if "$svctl" --socket "$d/sock" wait up --timeout 60 "${names[@]}" >/dev/null; then
        echo $((($(now_us) - t0) / 1000))
    else
        say "toml.sh: $kind of $levels levels: not all ready in 60 s"; head -5 "$d/log" >&2
        echo -
    fi
    stop_tree "$pid"
    live_root=""
    rm -rf "$d"
}
for kind in chain tree; do
    for levels in 1 "$depth"; do
        for ((r = 0; r < reps; r++)); do deps_once "$kind" "$levels"; done >"$tmp/deps"
        R["$kind $levels"]=$(median <"$tmp/deps")
        say "toml.sh: $kind, $levels levels: ${R["$kind $levels"]} ms (runs: $(tr '\n' ' ' <"$tmp/deps"))"
    done
done

# ---- table
delay_ms=$(awk -v d="$delay" 'BEGIN { printf "%d", d * 1000 }')
per_level() {  # kind: (T(depth) - T(1) - (depth-1) * delay) / (depth-1)
    local a=${R["$1 $depth"]} b=${R["$1 1"]}
    [[ $a == - || $b == - ]] && { printf -- '-'; return; }
    awk -v a="$a" -v b="$b" -v l="$depth" -v d="$delay_ms" \
        'BEGIN { printf "%.1f", (a - b - (l - 1) * d) / (l - 1) }'
}
say "toml.sh: load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| measure | svinit | runit | s6 | svinit/runit | svinit/s6 |\n|---|--:|--:|--:|--:|--:|\n'
printf '| --check-config, %d service files (ms) | %s | | | | |\n' "$n" "${R[check]}"
printf '| --check-config, no services (ms) | %s | | | | |\n' "${R[check0]}"
printf '| all up, %d services, TOML (ms) | %s | %s | %s | %s | %s |\n' "$n" "${R["up svinit-toml"]}" \
    "${R["up runit"]:--}" "${R["up s6"]:--}" "$(ratio "${R["up svinit-toml"]}" "${R["up runit"]:-}")" \
    "$(ratio "${R["up svinit-toml"]}" "${R["up s6"]:-}")"
printf '| all up, %d services, runit directories (ms) | %s | %s | %s | %s | %s |\n' "$n" \
    "${R["up svinit-runit"]}" "${R["up runit"]:--}" "${R["up s6"]:--}" \
    "$(ratio "${R["up svinit-runit"]}" "${R["up runit"]:-}")" \
    "$(ratio "${R["up svinit-runit"]}" "${R["up s6"]:-}")"
printf '| all up, %d TOML services, until svctl wait returns (ms) | %s | | | | |\n' "$n" \
    "${R["wait svinit-toml"]:--}"
for kind in chain tree; do
    count=$([[ $kind == chain ]] && echo "$depth" || echo $((1 + (depth - 1) * width)))
    printf '| %s of %d levels (%d services), %s ms delay each: all ready (ms) | %s | | | | |\n' \
        "$kind" "$depth" "$count" "$delay_ms" "${R["$kind $depth"]}"
    printf '| %s of 1 level: all ready (ms) | %s | | | | |\n' "$kind" "${R["$kind 1"]}"
    printf '| %s: cost per level beyond the delay (ms) | %s | | | | |\n' "$kind" "$(per_level "$kind")"
done
