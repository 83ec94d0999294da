#!/bin/sh
# The worker: picks up a job every few seconds.
. ./bin/lib.sh
event worker start
trap 'echo "worker: stopping"; exit 0' TERM
job=0
while :; do
    job=$((job + 1))
    echo "worker: picked job $job"
    sleep 5 & wait $!
done
