#!/usr/bin/env bash
# Reloads under load: `stampede swarm` (closed model, USERS keep-alive users, default 200), and
# wrk opening a new connection per request beside it, load
# the proxy in front of three Market API instances for DURATION (default 60s) while the
# configuration is reloaded RELOADS times (default 100), alternating two files: different
# weights, a server added and removed, a location added. Prints the swarm's totals (the failures
# must be 0), what the proxy logged of the reloads (each "reloaded", none "failed"), and how the
# servers shared the requests while each configuration was in force (the proxy's /status counts,
# read just after each reload and just before the next).
#
#   bench/scripts/reload-under-load.sh [DURATION] [RELOADS]      USERS=200
#
# Everything listens on 127.0.0.1 only and is stopped on exit.
set -euo pipefail
duration="${1:-60s}"
reloads="${2:-100}"
users="${USERS:-200}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"
seconds="${duration%s}"
case "$seconds$reloads$users" in *[!0-9]*) echo "usage: $0 [SECONDSs] [RELOADS]; USERS=N" >&2; exit 2 ;; esac

api_port="$(free_port)"
proxy_port="$(free_port)"
admin_port="$(free_port)"
"$root/stampede" api --instances 3 --port "$api_port" > "$work/api.log" 2>&1 &
pids+=($!)
a="127.0.0.1:$api_port"; b="127.0.0.1:$((api_port + 1))"; c="127.0.0.1:$((api_port + 2))"
for p in "$api_port" "$((api_port + 1))" "$((api_port + 2))"; do wait_port "$p"; done

cat > "$work/one.yaml" <<YAML
listen: 127.0.0.1:$proxy_port
pid: $work/proxy.pid
admin: {listen: 127.0.0.1:$admin_port}
locations:
  /:
    proxy_pass: http://market
upstreams:
  market:
    keepalive: 64
    servers: ["$a weight=3", "$b"]
YAML
cat > "$work/two.yaml" <<YAML
listen: 127.0.0.1:$proxy_port
pid: $work/proxy.pid
admin: {listen: 127.0.0.1:$admin_port}
locations:
  /:
    proxy_pass: http://market
  /extra/:
    proxy_pass: http://market
upstreams:
  market:
    keepalive: 64
    servers: ["$a", "$c weight=2"]
YAML
cp "$work/one.yaml" "$work/proxy.yaml"
"$root/stampede" proxy -c "$work/proxy.yaml" > "$work/proxy.log" 2>&1 &
pids+=($!)
wait_port "$proxy_port"

"$root/stampede" swarm "http://127.0.0.1:$proxy_port/healthz" -c "$users" -d "$duration" --only-summary \
  --json "$work/swarm.json" > "$work/swarm.log" 2>&1 &
swarm=$!
# New connections all the time too (a refused connect would show as a socket error): wrk with
# "Connection: close", when it is installed.
if command -v wrk > /dev/null; then
  wrk -t1 -c20 -d"$((seconds - 2))s" -H "Connection: close" "http://127.0.0.1:$proxy_port/healthz" > "$work/wrk.log" 2>&1 &
  churn=$!
fi
sleep 2 # past the swarm's start-up, so the reloads land on full load
counts() { # requests per server so far, from the proxy's /status (0 for a server not configured now)
  curl -s "http://127.0.0.1:$admin_port/status" | python3 -c "
import json, sys
peers = {p['server']: p['requests'] for p in json.load(sys.stdin)['upstreams']['market']['peers']}
print(' '.join(str(peers.get(s, 0)) for s in ('$a', '$b', '$c')))"
}
gap="$(python3 -c "print(max(0.05, ($seconds - 6) / $reloads))")"
# Each line: the configuration in force, the servers' counts just after the reload and at the end of
# its interval (a server added by the reload starts from 0; one kept keeps counting).
: > "$work/intervals"
for i in $(seq "$reloads"); do
  if [ $((i % 2)) -eq 1 ]; then conf=two; else conf=one; fi
  cp "$work/$conf.yaml" "$work/proxy.yaml"
  "$root/stampede" proxy -s reload -c "$work/proxy.yaml" > /dev/null
  sleep 0.05
  from="$(counts)"
  sleep "$gap"
  echo "$conf $from $(counts)" >> "$work/intervals"
done
wait "$swarm" || true
[ -n "${churn:-}" ] && wait "$churn" || true

echo "swarm: $users users for $duration, $reloads reloads (one every ${gap}s)"
python3 - "$work/swarm.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s.get("total", s)
print(f"  requests {t.get('requests')}, failures {t.get('failures')}, req/s {t.get('rps', s.get('rps'))}")
PY
if [ -n "${churn:-}" ]; then
  echo "new connections (wrk, Connection: close): $(awk '/requests in/ {print $1}' "$work/wrk.log") requests, $(grep -E 'Socket errors|Non-2xx' "$work/wrk.log" || echo 'no socket errors, no non-2xx')"
fi
echo "proxy: $(grep -c 'reloaded' "$work/proxy.log") reloaded, $(grep -c 'reload failed' "$work/proxy.log") failed"
grep 'reload failed' "$work/proxy.log" | head -3 || true
python3 - "$work/intervals" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
share = {"one": [0, 0, 0], "two": [0, 0, 0]}
for row in rows:
    for i in range(3):
        share[row[0]][i] += int(row[4 + i]) - int(row[1 + i])
for conf, want in (("one", "3 : 1 : 0"), ("two", "1 : 0 : 2")):
    a, b, c = share[conf]
    total = a + b + c or 1
    print(f"  while '{conf}' was in force (weights a:b:c {want}): a {a}, b {b}, c {c} "
          f"({100*a/total:.0f}% / {100*b/total:.0f}% / {100*c/total:.0f}%)")
PY
