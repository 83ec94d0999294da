#!/bin/sh
# The README's example: runs as svinit's main command beside the services, shows them
# with svctl, restarts one, and exits; svinit then stops every service in order and
# exits with this script's status.
set -e
# svctl from this checkout's build unless SVCTL names another; it talks to svinit on
# SVINIT_SOCKET, or on the default socket /run/svinit/control.sock.
SVCTL=${SVCTL:-$(dirname "$0")/../../build/bin/svctl}
svctl() { "$SVCTL" "$@"; }

echo "demo: waiting for clock, worker and web to be up"
svctl wait up --timeout 10 clock worker web
sleep 2
echo "demo: svctl status"
svctl status || true
echo "demo: restarting worker"
svctl restart worker
svctl wait up --timeout 10 worker
svctl status worker
echo "demo: crashy has been backing off; its restarts so far:"
svctl --json status crashy | sed -n 's/.*"restarts":\([0-9]*\).*/  \1 restarts/p'
echo "demo: done; svinit now stops every service and exits"
