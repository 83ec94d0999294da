#!/usr/bin/env bash
# Builds the Debian packages svinit and svinit-compat (cmake/packaging.cmake, CPack) from
# a static build that has been built, into BUILD_DIR/packages/. Reproducible: SOURCE_DATE_EPOCH (the last
# commit's time unless set) gives every file in them the same time, and the static
# binaries are themselves reproducible (cmake/static.cmake).
#   packaging/deb/build.sh [BUILD_DIR]     default: build-static, configured with
#   cmake -S . -B build-static -DSVINIT_STATIC=ON -DCMAKE_BUILD_TYPE=Release
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$repo/build-static}

if ! grep -q '^SVINIT_STATIC:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "deb/build.sh: $build is not a static build (-DSVINIT_STATIC=ON)" >&2
    exit 1
fi
build=$(cd "$build" && pwd)
# The packages install under /usr (CPACK_PACKAGING_INSTALL_PREFIX), and files configured
# with the install paths (the systemd unit's ExecStart=) must name those: the build's
# prefix becomes /usr too (nothing is compiled again; `cmake --install` of this build
# then installs under /usr unless given --prefix).
if ! grep -q '^CMAKE_INSTALL_PREFIX:PATH=/usr$' "$build/CMakeCache.txt"; then
    cmake -DCMAKE_INSTALL_PREFIX=/usr "$build" >/dev/null
fi
if [[ -z ${SOURCE_DATE_EPOCH-} ]]; then
    SOURCE_DATE_EPOCH=$(git -C "$repo" log -1 --format=%ct 2>/dev/null) || {
        echo "deb/build.sh: $repo is not a git checkout: set SOURCE_DATE_EPOCH" >&2
        exit 1
    }
fi
export SOURCE_DATE_EPOCH

for program in svinit svctl; do
    [[ -x $build/bin/$program ]] || { echo "deb/build.sh: build $build first (no bin/$program)" >&2; exit 1; }
done
rm -rf "$build/packages"
(cd "$build" && cpack -G DEB --config CPackConfig.cmake >/dev/null)
rm -rf "$build/packages/_CPack_Packages"
ls "$build"/packages/*.deb
