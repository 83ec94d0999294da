#!/bin/sh
# Builds a root filesystem from Debian's busybox-static in examples/sandbox/root and runs
# worker.sh in it as nobody, in its own namespaces, with memory, pids and cpu limits:
#   sudo examples/sandbox/run.sh [path/to/svinit]
# (apt-get install busybox-static; svinit built in build/bin by default). Run as root: the
# limits need cgroups.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
svinit=${1:-$here/../../build/bin/svinit}
root=$here/root

rm -rf "$root" "$here/data"
mkdir -p "$root/bin" "$root/etc" "$root/proc" "$root/dev" "$root/tmp" "$root/data" "$here/data"
cp /bin/busybox "$root/bin/busybox"
for applet in sh cat echo id hostname ls grep tail cut tr touch sed sleep; do
    ln -s busybox "$root/bin/$applet"
done
cp "$here/worker.sh" "$root/bin/worker.sh"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' \
    > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
echo "the sandbox should not read this" > "$root/etc/secret"
echo "hello from the host" > "$here/data/hello"

exec "$svinit" run --sandbox "$here/worker.toml" --name example -- /bin/worker.sh
