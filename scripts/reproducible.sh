#!/usr/bin/env bash
# Builds the static svinit and svctl a second time, from the same commit's files copied to
# another path, at another time, and checks the binaries are identical to BUILD_DIR's: no
# build path, date or link order may reach them (cmake/static.cmake). .ci/run calls it
# after the first static build.
#   scripts/reproducible.sh BUILD_DIR
set -euo pipefail
first=$(cd "${1:?usage: scripts/reproducible.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)

other=$(mktemp -d /tmp/svinit-repro.XXXXXX)
trap 'rm -rf "$other"' EXIT
# Another depth and another name, so a leaked path would differ.
src=$other/elsewhere/svinit-src
mkdir -p "$src"
git -C "$repo" ls-files -z --cached --others --exclude-standard |
    (cd "$repo" && xargs -0 cp --parents -t "$src")
cmake -S "$src" -B "$src/out" -DSVINIT_STATIC=ON -DCMAKE_BUILD_TYPE=Release \
    -DSVINIT_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$src/out" -j2 --target svinit svctl >/dev/null

status=0
for program in svinit svctl; do
    a=$(sha256sum <"$first/bin/$program")
    b=$(sha256sum <"$src/out/bin/$program")
    if [[ $a == "$b" ]]; then
        echo "reproducible: $program ${a%% *}"
    else
        echo "reproducible: $program differs between two builds of the same source" >&2
        cmp -l "$first/bin/$program" "$src/out/bin/$program" | head -n 5 >&2 || true
        status=1
    fi
done
exit "$status"
