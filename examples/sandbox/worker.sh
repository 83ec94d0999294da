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
i=0
while [ $i -lt 64 ]; do sleep 60 & i=$((i+1)); done 2>/dev/null
echo "worker: started $(ls /proc | grep -c '^[0-9]') processes of 64 asked (pids-max 32)"
