#!/bin/sh
# The "database": recovers its data directory, says READY=1 (through sd-notify, which then
# becomes `db.sh serve` in the same process), and serves until it gets INT (its fast
# shutdown) or TERM.
. ./bin/lib.sh
data=$STATE_DIR/db
if [ "${1:-}" = serve ]; then
    echo "db: ready, data in $data"
    serve db
fi
mkdir -p "$data"
: > "$STATE_DIR/events.log"   # a fresh log for each start of the stack
echo "db: recovering $data"
sleep 1                       # what a real database spends replaying its log
event db ready
exec ./bin/sd-notify READY=1 "STATUS=accepting connections" -- ./bin/db.sh serve
