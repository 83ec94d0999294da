# Shared by the example's services (sourced, not run).
STATE_DIR=${STATE_DIR:-/tmp/svinit-example}
mkdir -p "$STATE_DIR"

# Appends "WHO WHAT" to the event log the integration test reads; one short write.
event() {
    echo "$*" >> "$STATE_DIR/events.log"
}

# What a daemon does here once it is up: nothing, until INT or TERM.
serve() {
    trap 'echo "$1: stopping"; exit 0' INT TERM
    while :; do sleep 1 & wait $!; done
}
