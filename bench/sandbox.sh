#!/usr/bin/env bash
# bench/sandbox.sh: svinit's sandbox against bubblewrap, unshare+chroot, runc and crun, on
# the same busybox root filesystem, in one run:
#   1. start: from the spawn to the worker's first instruction (and to the sandbox's exit),
#      every namespace, pivot_root and a seccomp filter where the peer allows, RUNS each,
#      interleaved in rounds; median and p90, and ratios to svinit;
#   2. idle cost: svinit supervising 100 TOML services with [sandbox] running sleep, the
#      memory of svinit and the in-sandbox inits (PSS and RSS summed from /proc), against
#      100 `bwrap ... sleep`.
# docs/benchmarks.md ("Sandboxes") says what each figure means and how to read them.
#
#   bash bench/sandbox.sh
#
# Environment (defaults in brackets): SVINIT [build/bin/svinit], SVCTL [build/bin/svctl],
# RUNS [100], WORKERS [100]. Needs root, cc, libseccomp-dev and busybox-static; installs
# the peers (scripts/install-deps.sh --bench). About a minute on two idle cores.
set -euo pipefail
export LC_ALL=C

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
svinit=${SVINIT:-$repo/build/bin/svinit}
svctl=${SVCTL:-$repo/build/bin/svctl}
runs=${RUNS:-100}
workers=${WORKERS:-100}
rounds=10  # runs split into rounds, interleaved across runtimes, so drift is shared
per_round=$(((runs + rounds - 1) / rounds))

say() { printf '%s\n' "$*" >&2; }

if [[ $(id -u) -ne 0 ]]; then
    say "sandbox.sh: needs root (namespaces, cgroups, runc and crun)"
    exit 1
fi
bash "$repo/scripts/install-deps.sh" --bench >&2 ||
    say "sandbox.sh: could not install the peers; the missing ones are left out"

tmp=$(mktemp -d)
background=()
cleanup() {
    local pid
    for pid in "${background[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

# --- the root filesystem, as examples/sandbox/run.sh builds it, plus the stamp worker ---
root=$tmp/root
mkdir -p "$root/bin" "$root/etc" "$root/proc" "$root/dev" "$root/tmp" "$root/sys"
cp /bin/busybox "$root/bin/busybox"
for applet in sh sleep true; do ln -s busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' \
    > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
cc -O2 -static -o "$root/bin/stamp" "$repo/bench/sandbox_stamp.c"
cc -O2 -o "$tmp/sandbox_time" "$repo/bench/sandbox_time.c"
cc -O2 -o "$tmp/sandbox_seccomp" "$repo/bench/sandbox_seccomp.c" -lseccomp

# svinit's default deny list (sandbox/sandbox_spec.cpp), for the peers' filters.
mapfile -t denied < <(awk '/default_denied_syscalls\(\) \{/ {f = 1}
    f && /"/ {gsub(/[",]/, ""); gsub(/^ +/, ""); print} f && /};/ {exit}' \
    "$repo/sandbox/sandbox_spec.cpp")
denied+=(io_uring_setup io_uring_enter io_uring_register)
"$tmp/sandbox_seccomp" "${denied[@]}" > "$tmp/seccomp.bpf"

# --- each runtime's command, worker /bin/stamp ---
cat > "$tmp/sandbox.toml" <<EOF
namespaces = ["pid", "mount", "uts", "ipc", "net", "cgroup"]
hostname = "job"
root = "$root"
no-new-privileges = true
capabilities = []
seccomp = "default"
EOF

bundle() {  # bundle DIR: an OCI bundle of the root, the same namespaces and deny list
    local dir=$1
    mkdir -p "$dir"
    (cd "$dir" && runc spec)
    jq --arg root "$root" --argjson denied "$(printf '%s\n' "${denied[@]}" | jq -R . | jq -s .)" '
        .root = {path: $root, readonly: false}
        | .hostname = "job"
        | .process.terminal = false
        | .process.args = ["/bin/stamp"]
        | .process.capabilities = {bounding: [], effective: [], permitted: []}
        | .linux.namespaces += [{type: "cgroup"}]
        | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
                            syscalls: [{names: $denied, action: "SCMP_ACT_ERRNO", errnoRet: 1}]}
        ' "$dir/config.json" > "$dir/config.json.new"
    mv "$dir/config.json.new" "$dir/config.json"
}

runtimes=(svinit bwrap unshare-chroot runc crun)
declare -A state
for rt in "${runtimes[@]}"; do state[$rt]=ok; done
command -v bwrap >/dev/null || state[bwrap]="not installed"
command -v runc >/dev/null || state[runc]="not installed"
command -v crun >/dev/null || state[crun]="not installed"
command -v jq >/dev/null || { state[runc]="no jq"; state[crun]="no jq"; }
# Both read the same bundle (runc spec writes it; each keeps its state under /run).
if command -v runc >/dev/null && command -v jq >/dev/null; then
    bundle "$tmp/bundle"
else
    [[ ${state[crun]} == ok ]] && state[crun]="needs runc spec and jq for its bundle"
fi

# crun 1.8 refuses a hybrid host whose cgroup v2 hierarchy has a controller ("cgroups in
# hybrid mode not supported, drop all controllers from cgroupv2"), as this machine's has
# (hugetlb). It runs in a mount namespace without that hierarchy, where it sees cgroup v1
# alone: sandbox_time is started in it, so the entering is not timed.
crun_ns=()
if [[ ${state[crun]} == ok ]] && grep -q . /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
    unshare --mount --propagation private sleep 1000000 &
    background+=($!)
    holder=$!
    disown  # killed by pid at the end; no "Killed" notice from bash
    for ((i = 0; i < 100; i++)); do
        [[ $(readlink /proc/$holder/ns/mnt) != $(readlink /proc/self/ns/mnt) ]] && break
        sleep 0.01
    done
    nsenter -t "$holder" -m umount /sys/fs/cgroup/unified
    crun_ns=(nsenter -t "$holder" -m)
fi

counter=0
sandbox_command() {  # the argv that starts one sandbox with worker /bin/stamp
    counter=$((counter + 1))
    case $1 in
        svinit) echo "$svinit run --sandbox $tmp/sandbox.toml --name bench -- /bin/stamp" ;;
        bwrap) echo "bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL" \
            "--hostname job --bind $root / --proc /proc --dev /dev" \
            "--seccomp 9 /bin/stamp" ;;
        unshare-chroot) echo "unshare --pid --fork --mount --uts --ipc --net --cgroup" \
            "--mount-proc=$root/proc chroot $root /bin/stamp" ;;
        runc) echo "runc run --bundle $tmp/bundle bench-$$-$counter" ;;
        crun) echo "crun run --bundle $tmp/bundle bench-$$-$counter" ;;
    esac
}

one_run() {  # one_run RUNTIME: appends "START_US TOTAL_US" to its samples
    local rt=$1 cmd prefix=()
    cmd=$(sandbox_command "$rt")
    [[ $rt == crun ]] && prefix=("${crun_ns[@]}")
    # shellcheck disable=SC2086  # the command is words without spaces inside
    if ! "${prefix[@]}" "$tmp/sandbox_time" $cmd 9< "$tmp/seccomp.bpf" >> "$tmp/$rt.samples" 2>> "$tmp/$rt.err"; then
        state[$rt]="failed: $(tail -n 1 "$tmp/$rt.err")"
    fi
}

say "sandbox.sh: $runs starts each, in $rounds rounds"
for rt in "${runtimes[@]}"; do
    [[ ${state[$rt]} == ok ]] && one_run "$rt"  # a warm-up, not counted
    : > "$tmp/$rt.samples"
done
for ((round = 0; round < rounds; round++)); do
    for rt in "${runtimes[@]}"; do
        for ((i = 0; i < per_round; i++)); do
            [[ ${state[$rt]} == ok ]] || break
            one_run "$rt"
        done
    done
done

quantile() {  # quantile FILE COLUMN Q: the Q quantile (nearest rank) of a column, in ms
    sort -n -k"$2" "$1" | awk -v c="$2" -v q="$3" '{v[NR] = $c}
        END {i = int(q * NR + 0.999999); if (i < 1) i = 1; printf "%.2f", v[i] / 1000}'
}

printf '\n## start: spawn -> first instruction of the worker, and -> exit (ms, %d runs)\n' "$runs"
printf '%-16s %10s %10s %10s %10s %12s %12s\n' runtime start-p50 start-p90 exit-p50 exit-p90 \
    "p50 / svinit" "exit / svinit"
base_start=$(quantile "$tmp/svinit.samples" 1 0.5)
base_exit=$(quantile "$tmp/svinit.samples" 2 0.5)
for rt in "${runtimes[@]}"; do
    if [[ ${state[$rt]} != ok ]]; then
        printf '%-16s %s\n' "$rt" "${state[$rt]}"
        continue
    fi
    s50=$(quantile "$tmp/$rt.samples" 1 0.5)
    s90=$(quantile "$tmp/$rt.samples" 1 0.9)
    e50=$(quantile "$tmp/$rt.samples" 2 0.5)
    e90=$(quantile "$tmp/$rt.samples" 2 0.9)
    printf '%-16s %10s %10s %10s %10s %12s %12s\n' "$rt" "$s50" "$s90" "$e50" "$e90" \
        "$(awk -v a="$s50" -v b="$base_start" 'BEGIN {printf "%.2fx", a / b}')" \
        "$(awk -v a="$e50" -v b="$base_exit" 'BEGIN {printf "%.2fx", a / b}')"
done

# --- idle cost at $workers sandboxed workers ---
kib() {  # kib PID FIELD: FIELD (Pss, Rss) of smaps_rollup in KiB; 0 for a process gone
    awk -v f="$2:" '$1 == f {print $2; exit}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0
}
descendants() {  # descendants PID: PID and every process below it
    local pid=$1 child
    echo "$pid"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do descendants "$child"; done
}
tally() {  # tally PID...: "COMM COUNT PSS_KIB RSS_KIB" per command name
    local pid
    for pid in "$@"; do
        printf '%s %s %s\n' "$(cat "/proc/$pid/comm" 2>/dev/null || echo gone)" \
            "$(kib "$pid" Pss)" "$(kib "$pid" Rss)"
    done | awk '{n[$1]++; p[$1] += $2; r[$1] += $3}
        END {for (c in n) printf "%s %d %d %d\n", c, n[c], p[c], r[c]}' | sort
}

config=$tmp/services.toml
: > "$config"
for ((i = 0; i < workers; i++)); do
    cat >> "$config" <<EOF
[services.w$i]
command = ["/bin/sleep", "1000000"]
[services.w$i.sandbox]
namespaces = ["pid", "mount", "uts", "ipc", "net", "cgroup"]
root = "$root"
seccomp = "default"
EOF
done
sock=$tmp/control.sock
# An empty service directory: Debian's runit package puts a placeholder service in
# /etc/service, which svinit would supervise too.
mkdir -p "$tmp/no-services"
unshare --pid --fork --mount-proc --kill-child -- \
    "$svinit" --config "$config" --service-dir "$tmp/no-services" \
    --control-socket "$sock" --no-supervise-dir \
    --log-level warn 2> "$tmp/svinit.log" &
background+=($!)
unshare_pid=$!
names=()
for ((i = 0; i < workers; i++)); do names+=("w$i"); done
for ((i = 0; i < 200; i++)); do [[ -S $sock ]] && break; sleep 0.05; done
"$svctl" --socket "$sock" wait up --timeout 60 "${names[@]}" > /dev/null
svinit_pid=$(awk '{print $1}' /proc/"$unshare_pid"/task/*/children)
mapfile -t tree < <(descendants "$svinit_pid")
printf '\n## idle cost: %d sandboxed workers running sleep\n' "$workers"
printf '%-28s %6s %10s %10s %14s %14s\n' process count "PSS KiB" "RSS KiB" "PSS/worker" \
    "RSS/worker"
report() {  # report LABEL COUNT PSS RSS
    printf '%-28s %6d %10d %10d %14.1f %14.1f\n' "$1" "$2" "$3" "$4" \
        "$(awk -v a="$3" -v n="$workers" 'BEGIN {print a / n}')" \
        "$(awk -v a="$4" -v n="$workers" 'BEGIN {print a / n}')"
}
svinit_self=$(tally "$svinit_pid")
read -r _ _ self_pss self_rss <<< "$svinit_self"
report "svinit (supervisor)" 1 "$self_pss" "$self_rss"
# Every process below svinit but the workers: the inits (forks of svinit, named svinit).
read -r n_inits inits_pss inits_rss < <(tally "${tree[@]:1}" |
    awk '$1 != "sleep" {n += $2; p += $3; r += $4} END {print n + 0, p + 0, r + 0}')
report "svinit in-sandbox inits" "$n_inits" "$inits_pss" "$inits_rss"
report "svinit + inits" "$((1 + n_inits))" "$((self_pss + inits_pss))" "$((self_rss + inits_rss))"
read -r _ n_sleep sleep_pss sleep_rss <<< "$(tally "${tree[@]:1}" | awk '$1 == "sleep"')"
report "  (workers: busybox sleep)" "$n_sleep" "$sleep_pss" "$sleep_rss"
# A shutdown, not a kill: svinit removes the sandboxes' cgroups on its way out.
"$svctl" --socket "$sock" shutdown > /dev/null || kill -KILL "$unshare_pid" 2>/dev/null || true
wait "$unshare_pid" 2>/dev/null || true

if [[ ${state[bwrap]} == ok ]]; then
    bwraps=()
    for ((i = 0; i < workers; i++)); do
        setsid bwrap --unshare-all --die-with-parent --new-session --cap-drop ALL \
            --hostname job --bind "$root" / --proc /proc --dev /dev --seccomp 9 \
            /bin/sleep 1000000 9< "$tmp/seccomp.bpf" &
        bwraps+=($!)
        background+=($!)
    done
    all=()
    for ((tries = 0; tries < 600; tries++)); do
        all=()
        for pid in "${bwraps[@]}"; do mapfile -t -O "${#all[@]}" all < <(descendants "$pid"); done
        [[ $(tally "${all[@]}" | awk '$1 == "sleep" {print $2}') == "$workers" ]] && break
        sleep 0.05
    done
    read -r n_bwrap bwrap_pss bwrap_rss < <(tally "${all[@]}" |
        awk '$1 == "bwrap" {n += $2; p += $3; r += $4} END {print n + 0, p + 0, r + 0}')
    report "bwrap (outer + pid-ns init)" "$n_bwrap" "$bwrap_pss" "$bwrap_rss"
    for pid in "${bwraps[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait "${bwraps[@]}" 2>/dev/null || true
fi
