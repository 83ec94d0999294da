#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (in build-fuzz/, -DSVINIT_FUZZ=ON) and
# fuzzes each for SECONDS (default 60) on a fresh copy of its seed corpus, two at a time.
# Fails when any target crashes, leaks, trips a sanitizer, hangs or breaks a property;
# the input is saved in build-fuzz/crashes/NAME/. Add it to fuzz/corpus/NAME/ (named for
# what it found) so it is replayed by every build from then on. See docs/fuzzing.md.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Environment: SVINIT_FUZZ_BUILD (default build-fuzz), SVINIT_FUZZ_JOBS (default 2),
# CC/CXX (default clang-16/clang++-16; scripts/install-deps.sh --fuzz installs them),
# SVINIT_FUZZ_CMAKE_ARGS (more cmake arguments, e.g. a compiler launcher).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
build=${SVINIT_FUZZ_BUILD:-build-fuzz}
jobs=${SVINIT_FUZZ_JOBS:-2}
cc=${CC:-clang-16}
cxx=${CXX:-clang++-16}
if [[ ! "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
fi
if ! command -v "$cxx" >/dev/null; then
    echo "fuzz: $cxx not found; run scripts/install-deps.sh --fuzz" >&2
    exit 1
fi

targets=("$@")
if ((${#targets[@]} == 0)); then
    for source in fuzz/fuzz_*.cpp; do
        name=${source#fuzz/fuzz_}
        targets+=("${name%.cpp}")
    done
fi

echo "fuzz: building ${targets[*]} with $cxx in $build"
mkdir -p "$build"
# -O1 and line tables only: libFuzzer's advice, and a much quicker build than -O2 -g.
flags="-O1 -gline-tables-only"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_FLAGS_RELWITHDEBINFO="$flags" \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$flags" -DSVINIT_FUZZ=ON -DSVINIT_TESTS=OFF \
    ${SVINIT_FUZZ_CMAKE_ARGS:-} >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz_}"

# Sanitizer settings for every run: abort (not just report) on UB, leaks checked.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Fuzzes one target; its output goes to build-fuzz/logs/NAME.log.
fuzz_one() {
    local name=$1
    local corpus="$build/corpus/$name" crashes="$build/crashes/$name/" log="$build/logs/$name.log"
    rm -rf "$corpus"
    mkdir -p "$corpus" "$crashes" "$build/logs"
    cp -a "fuzz/corpus/$name/." "$corpus/"
    # -timeout: an input that runs 10 s is a hang, reported like a crash.
    "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$crashes" "$corpus" >"$log" 2>&1
}

failed=()
running=()
status_of() {  # waits for the oldest running target and records its result
    local entry=${running[0]}
    running=("${running[@]:1}")
    local pid=${entry%%:*} name=${entry#*:}
    if wait "$pid"; then
        local execs
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/logs/$name.log" |
            grep -o '[0-9]*$' || echo "?")
        echo "fuzz: $name: ok, $execs inputs in ${seconds}s"
    else
        echo "fuzz: $name: FAILED; last lines of $build/logs/$name.log:" >&2
        tail -n 40 "$build/logs/$name.log" >&2
        ls "$build/crashes/$name/" >&2 || true
        failed+=("$name")
    fi
}
for name in "${targets[@]}"; do
    ((${#running[@]} < jobs)) || status_of
    echo "fuzz: $name for ${seconds}s"
    fuzz_one "$name" &
    running+=("$!:$name")
done
while ((${#running[@]} > 0)); do status_of; done

if ((${#failed[@]} > 0)); then
    echo "fuzz: failed: ${failed[*]}; the inputs are in $build/crashes/ (add each to" \
        "fuzz/corpus/NAME/ once fixed)" >&2
    exit 1
fi
echo "fuzz: every target ran ${seconds}s without a failure"
