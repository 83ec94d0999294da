#!/usr/bin/env bash
# The Debian packages on Debian 12, without touching the host: builds them
# (packaging/deb/build.sh), then in a private mount namespace mounts an overlay whose
# lower layer is the host's / (this CI's host is Debian 12, with runit installed) and
# whose upper layer is a tmpfs, chroots into it and installs, uses and removes them with
# dpkg, in a PID namespace of its own. Checks:
#   svinit: svinit and svctl run from /sbin and /usr/bin; its man pages (when the build
#     installs any) are found by man; no sv, my_init or setuser in it
#   svinit-compat with runit installed: /usr/bin/sv is still runit's file; my_init and
#     setuser are svinit's. Without runit: /usr/bin/sv is svctl (update-alternatives)
#   removal: every file and the alternative are gone
# and, once the namespace is gone, that the host has no svinit.
#   packaging/deb/test-install.sh BUILD_DIR      (a static build: -DSVINIT_STATIC=ON)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }

# ---- inside the private mount namespace: the throwaway Debian 12 ----
if [[ ${1-} == --inside ]]; then
    work=$2
    root=$work/root
    mount -t tmpfs -o mode=0755 deb-test "$work/rw"
    mkdir -p "$work/rw/upper" "$work/rw/work"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$work/rw/upper,workdir=$work/rw/work" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=1777 tmp "$root/tmp"
    mount -t tmpfs -o mode=0755 run "$root/run"
    cp "$work"/debs/*.deb "$root/tmp/"
    # No service may be started or stopped by a package's scripts in here (the host
    # may have its own policy-rc.d: this one is in the overlay only).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    exec chroot "$root" /bin/bash -s <<'EOF'
set -euo pipefail
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
step() { echo "deb-test: $*"; }
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
cd /tmp

step "dpkg -i svinit"
dpkg -i svinit_*.deb
# Here-strings rather than pipes into grep -q: under pipefail, a writer cut off by
# grep's early exit would fail the check.
has() { grep -Eq -- "$1" <<<"$2"; }
has '^svinit [0-9]' "$(/sbin/svinit --version)" || fail "svinit --version: $(/sbin/svinit --version 2>&1)"
has '^svctl [0-9]' "$(svctl --version)" || fail "svctl --version: $(svctl --version 2>&1)"
has '^usage: svctl' "$(svctl --help)" || fail "svctl --help"
[[ $(command -v svctl) == /usr/bin/svctl ]] || fail "svctl is not /usr/bin/svctl"
[[ -f /usr/share/bash-completion/completions/svctl ]] || fail "no bash completion"
[[ -f /usr/share/doc/svinit/README.md && -f /usr/share/doc/svinit/svinit.md ]] || fail "no docs"
files=$(dpkg -L svinit)
# A systemd unit in the package must start what the package installed.
for unit in $(grep -E '^/(usr/)?lib/systemd/system/.*\.service$' <<<"$files" || true); do
    for program in $(sed -n 's/^Exec[A-Za-z]*=[-@+!]*\([^ ]*\).*/\1/p' "$unit"); do
        [[ -x $program ]] || fail "$unit runs $program, which is not installed"
    done
    step "$unit: $(grep -c '^Exec' "$unit") Exec lines, their programs installed"
done
if has '/(sv|my_init|setuser)$' "$files"; then
    fail "the svinit package ships a compat name: $(grep -E '/(sv|my_init|setuser)$' <<<"$files")"
fi
pages=$(grep -E '^/usr/share/man/man[0-9]/' <<<"$files" || true)
if [[ -n $pages ]]; then
    step "man pages: $(echo $pages)"
    command -v man >/dev/null || fail "no man command to look the pages up with: install man-db"
    has '^/usr/share/man/man8/svinit\.8' "$(man -w svinit)" || fail "man -w svinit: $(man -w svinit 2>&1)"
    man -w svctl >/dev/null || fail "man -w svctl"
else
    step "no man pages in this build (man/ installs none yet)"
fi

step "dpkg -i svinit-compat, runit installed"
dpkg -s runit >/dev/null 2>&1 || fail "runit is not installed on this host: install it (scripts/install-deps.sh)"
runit_sv=$(sha256sum /usr/bin/sv)
dpkg -i svinit-compat_*.deb
[[ ! -L /usr/bin/sv && $(sha256sum /usr/bin/sv) == "$runit_sv" ]] || fail "/usr/bin/sv is no longer runit's"
[[ $(dpkg -S /usr/bin/sv) == "runit: /usr/bin/sv" ]] || fail "dpkg -S /usr/bin/sv: $(dpkg -S /usr/bin/sv)"
[[ $(readlink -f /sbin/my_init) == /usr/sbin/svinit ]] || fail "/sbin/my_init is not svinit"
has 'my_init' "$(/sbin/my_init --help 2>&1)" || fail "my_init --help"
[[ $(/sbin/setuser nobody id -un) == nobody ]] || fail "setuser nobody id -un"

step "dpkg -r svinit-compat runit; dpkg -i svinit-compat without runit"
dpkg -r svinit-compat
dpkg -r runit
[[ ! -e /usr/bin/sv ]] || fail "/usr/bin/sv is left after removing runit"
dpkg -i svinit-compat_*.deb
[[ $(readlink -f /usr/bin/sv) == /usr/bin/svctl ]] || fail "/usr/bin/sv is not svctl: $(ls -l /usr/bin/sv)"
has '^Value: /usr/bin/svctl$' "$(update-alternatives --query sv)" || fail "no sv alternative"
# Invoked as sv, svctl speaks sv, and asks svinit (runit's sv would look for the directory).
out=$(sv status web 2>&1 || true)
has 'cannot reach svinit' "$out" || fail "sv status web: $out"

step "dpkg -r svinit-compat svinit"
dpkg -r svinit-compat svinit
for gone in /usr/sbin/svinit /usr/bin/svctl /usr/sbin/my_init /usr/sbin/setuser /usr/bin/sv \
            /etc/alternatives/sv /usr/share/bash-completion/completions/svctl /usr/share/doc/svinit; do
    [[ ! -e $gone && ! -L $gone ]] || fail "$gone is left after dpkg -r"
done
! update-alternatives --query sv >/dev/null 2>&1 || fail "the sv alternative is left"
! dpkg -s svinit >/dev/null 2>&1 || fail "dpkg still knows svinit"
step "inside: ok"
EOF
fi

# ---- outside ----
build=${1:?usage: test-install.sh BUILD_DIR}
if [[ $(id -u) -ne 0 ]] || ! unshare --mount --pid --fork true 2>/dev/null; then
    [[ ${CI-} == true ]] && fail "needs root and unshare (a skip is a failure under CI=true)"
    echo "deb-test: skipped: needs root and mount and PID namespaces"
    exit 77
fi
# The host must not have svinit: the test would not see what the package does.
if dpkg -s svinit >/dev/null 2>&1 || [[ -e /usr/sbin/svinit ]]; then
    fail "svinit is installed on this host; the test needs a host without it"
fi

work=$(mktemp -d /tmp/svinit-deb-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rw" "$work/root" "$work/debs"
debs=$("$here/build.sh" "$build")
cp $debs "$work/debs/"
echo "deb-test: packages: $(cd "$work/debs" && echo *.deb)"

# A PID namespace too: a maintainer script that signals a process (runit's trigger sends
# ALRM to PID 1 when it thinks runit is init) must not reach the host's.
unshare --mount --pid --fork --kill-child -- "$0" --inside "$work" ||
    fail "in the throwaway root (above)"

# Nothing reached the host.
! dpkg -s svinit >/dev/null 2>&1 || fail "the host's dpkg knows svinit"
[[ ! -e /usr/sbin/svinit && ! -e /usr/bin/svctl ]] || fail "files reached the host"
[[ $(dpkg -S /usr/bin/sv) == "runit: /usr/bin/sv" ]] || fail "the host's /usr/bin/sv changed"
echo "deb-test: ok"
