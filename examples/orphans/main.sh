#!/bin/sh
# The README's example main command for svinit as PID 1: it leaves orphans and a
# stubborn daemon behind, as real entrypoints do, and shows svinit cleaning up.

count_zombies() {
    # The state is the field after the command name, which ends with ')'.
    sed -n 's/.*) \([A-Z]\) .*/\1/p' /proc/[0-9]*/stat 2>/dev/null | grep -c Z
}

count_children_of_init() {
    grep -l '^PPid:[[:space:]]*1$' /proc/[0-9]*/status 2>/dev/null | wc -l
}

echo "example: I am pid $$; svinit is pid 1"
echo "example: starting 100 jobs whose parents exit at once, so they are orphaned"
i=0
while [ "$i" -lt 100 ]; do
    (sleep 0.5 &)
    i=$((i + 1))
done
sleep 0.2
echo "example: processes now parented to pid 1: $(count_children_of_init)"
sleep 1
echo "example: the orphans have exited; zombies left: $(count_zombies)"
(trap '' TERM; exec sleep 600) &
echo "example: left pid $! behind, which ignores SIGTERM; svinit will SIGKILL it"
echo "example: exiting with status 3"
exit 3
