#!/usr/bin/env bash
# The static svinit in a root that holds nothing else: no C library, no shell, no
# dynamic loader; just /sbin/svinit, /usr/bin/svctl (and its sv and setuser names), one
# static probe program, /etc/passwd and /etc/group. Booted as PID 1 of a fresh PID
# namespace under chroot, it supervises a service, answers svctl and sv, switches user
# with setuser (reading the root's own passwd and group: there is no NSS), and shuts
# down cleanly with the main command's status.
#   tests/static/scratch_root.sh BIN_DIR PROBE
set -euo pipefail
bin=${1:?usage: scratch_root.sh BIN_DIR PROBE}
probe=${2:?usage: scratch_root.sh BIN_DIR PROBE}

fail() { echo "scratch-root: FAIL: $*" >&2; exit 1; }

for program in "$bin/svinit" "$bin/svctl" "$probe"; do
    # A dynamically linked program names its loader in a PT_INTERP header.
    if LC_ALL=C readelf -l "$program" | grep -q 'Requesting program interpreter'; then
        fail "$program is dynamically linked"
    fi
done

work=$(mktemp -d /tmp/svinit-scratch.XXXXXX)
trap 'umount -l "$work/root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{sbin,bin,usr/bin,etc/service/hello,proc,dev,run,tmp}
cp "$bin/svinit" "$root/sbin/svinit"
cp "$bin/svctl" "$root/usr/bin/svctl"
ln -s svctl "$root/usr/bin/sv"
ln -s svctl "$root/usr/bin/setuser"
cp "$probe" "$root/bin/probe"
ln -s /bin/probe "$root/etc/service/hello/run"
printf 'root:x:0:0:root:/root:/sbin/nologin\napp:x:1000:1000:app:/home/app:/sbin/nologin\n' \
    > "$root/etc/passwd"
printf 'root:x:0:\naudio:x:29:app\napp:x:1000:\n' > "$root/etc/group"
touch "$root/dev/null"

# Nothing else may be in the root: count the regular files.
files=$(find "$root" -type f | wc -l)
[[ $files -eq 6 ]] || fail "the root holds $files files, expected 6: $(find "$root" -type f)"

set +e
output=$(unshare --pid --fork --mount --kill-child -- bash -c '
    root=$1
    mount -t proc proc "$root/proc"
    mount --bind /dev/null "$root/dev/null"
    exec chroot "$root" /sbin/svinit --service-output=prefix --service-dir /etc/service \
        -- /bin/probe main' bash "$root" 2>&1)
status=$?
set -e
echo "$output"
[[ $status -eq 0 ]] || fail "svinit exited with $status"
grep -q '^hello | probe: hello serving' <<<"$output" || fail "the service did not run"
grep -Eq '^run: hello: \(pid [0-9]+\) [0-9]+s' <<<"$output" || fail "sv status missing"
grep -q 'probe: uid=1000 gid=1000 groups=29,1000$' <<<"$output" || fail "setuser's ids are wrong"
grep -q 'probe: main done' <<<"$output" || fail "the main command did not finish"
grep -q '^hello | probe: hello got SIGTERM' <<<"$output" || fail "the service was not stopped"
echo "scratch-root: ok"
