#!/bin/sh
# svinit as my_init on the small root in examples/my_init/root, with this script as the main
# command:
#   unshare --pid --fork --mount-proc build/bin/my_init --root examples/my_init/root \
#       --control-socket /tmp/my_init-demo/control.sock -- examples/my_init/demo.sh
set -e
here=$(cd "$(dirname "$0")" && pwd)
svctl() { "$here/../../build/bin/svctl" --socket /tmp/my_init-demo/control.sock "$@"; }
echo "demo: FROM_STARTUP=$FROM_STARTUP"
svctl wait up --timeout 10 hello
svctl status
echo "demo: the exported environment, as a shell would read it:"
grep -E 'GREETING|FROM_STARTUP' "$here/root/etc/container_environment.sh"
echo "demo: exiting 0; my_init's shutdown follows"
