#!/bin/sh
# The README's TOML example, run as svinit's main command: waits until web is ready,
# shows the order the services came up in and their status, shows web's effective
# definition, and exits; svinit then stops the stack in reverse dependency order.
set -e
here=$(dirname "$0")
SVCTL=${SVCTL:-$here/../../build/bin/svctl}
svctl() { "$SVCTL" "$@"; }

echo "demo: waiting for web to be ready"
svctl wait ready --timeout 30 web worker
echo "demo: what happened, in order:"
sed 's/^/  /' "${STATE_DIR:-/tmp/svinit-example}/events.log"
echo "demo: svctl status"
svctl status
echo "demo: svctl show web"
svctl show web
echo "demo: done; svinit now stops web and worker, then db"
