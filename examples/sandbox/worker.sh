#!/bin/sh
# What the example runs inside the sandbox.
echo "worker: I am $(id -un) ($(id -u)) on $(hostname)"
echo "worker: processes I can see: $(ls /proc | grep -c '^[0-9]')"
echo "worker: network interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')"
echo "worker: /data says: $(cat /data/hello)"
echo "worker: /etc/secret says: '$(cat /etc/secret)'"
touch /data/x 2>/dev/null || echo "worker: /data is read-only"
touch /bin/x 2>/dev/null || echo "worker: the root is read-only"
grep -E '^(NoNewPrivs|CapEff)' /proc/self/status | sed 's/^/worker: /'
# A shell gives up at the first fork refused, so the bomb runs in a shell of its own.
# (echo is built in: it needs no fork once the bomb has taken every pid).
sh -c 'while true; do sleep 60 & done' 2>/dev/null || echo "worker: a fork bomb was stopped (pids-max 32)"
