#!/usr/bin/env bash
# Installs what svinit needs to build and test on Debian 12, from Debian's packages.
# Idempotent: apt-get update runs only when something is missing.
#   scripts/install-deps.sh          build and test dependencies
#   scripts/install-deps.sh --bench  also the peers bench/ compares against (bench/sandbox.sh:
#                                    bubblewrap, runc, crun, and jq for the OCI bundle) and
#                                    matplotlib for the plots
#   scripts/install-deps.sh --fuzz   also clang and libFuzzer, for scripts/fuzz.sh
set -euo pipefail

packages=(g++ cmake make pkg-config util-linux procps
          liburing-dev libev-dev libtomlplusplus-dev libspdlog-dev libfmt-dev catch2
          nlohmann-json3-dev libcap-dev libseccomp-dev
          runit            # its sv: the tests check that runit's own sv works against svinit
          busybox-static   # the sandbox tests build a small root filesystem from it
          systemd          # a test tool only: systemd-analyze verify checks systemd/svinit.service
          man-db groff-base  # man -l renders man/*.[58] in the man page tests
          python3-yaml)    # the packaging/kubernetes test loads the manifest (/usr/bin/python3)
for option in "$@"; do
    case "$option" in
        --bench) packages+=(tini dumb-init s6 time
                            bubblewrap runc crun jq  # bench/sandbox.sh's peers
                            python3-matplotlib) ;;   # the plots (bench/*_plot.py)
        --fuzz) packages+=(clang-16 libclang-rt-16-dev) ;;
        *) echo "usage: scripts/install-deps.sh [--bench] [--fuzz]" >&2; exit 2 ;;
    esac
done

missing=()
for pkg in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
