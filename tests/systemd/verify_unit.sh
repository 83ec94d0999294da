#!/usr/bin/env bash
# verify_unit.sh UNIT BIN_DIR: `systemd-analyze verify` on systemd/svinit.service as it would
# be installed, with /sbin/svinit and /sbin/svctl pointed at the built binaries (verify checks
# that each command exists). Any line verify prints fails the test: it exits 0 even for an
# unknown key or a value it ignores.
# --man=no: verify would run `man` for each Documentation=man: page, and the pages are
# installed with svinit, not on the machine that builds it.
set -euo pipefail
unit=$1
bin_dir=$2

if ! command -v systemd-analyze >/dev/null; then
    if [[ "${CI:-}" == true ]]; then
        echo "systemd-analyze not found (scripts/install-deps.sh installs systemd)" >&2
        exit 1
    fi
    echo "skipped: systemd-analyze not found" >&2
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -e "s|/sbin/svinit |$bin_dir/svinit |" -e "s|/sbin/svctl |$bin_dir/svctl |" \
    "$unit" >"$tmp/svinit.service"
grep -q "^ExecStart=$bin_dir/svinit " "$tmp/svinit.service" || {
    echo "verify_unit: no ExecStart=/sbin/svinit line in $unit" >&2
    exit 1
}
status=0
out=$(systemd-analyze verify --man=no "$tmp/svinit.service" 2>&1) || status=$?
if [[ $status -ne 0 || -n "$out" ]]; then
    echo "systemd-analyze verify $unit (exit $status):"
    echo "$out"
    exit 1
fi
echo "systemd-analyze verify: $unit passes without a warning"
