#!/bin/sh
# The web service: refuses to run without the migration's schema, then says READY=1 once
# it "listens" and serves until TERM.
. ./bin/lib.sh
if [ "${1:-}" = serve ]; then
    echo "web: serving on $3 in $MODE mode"
    serve web
fi
version=$(cat "$STATE_DIR/db/schema_version" 2>/dev/null) || {
    echo "web: no schema; the migration has not run" >&2
    exit 1
}
event web start
exec ./bin/sd-notify READY=1 "STATUS=schema version $version" -- ./bin/web.sh serve "$@"
