#!/usr/bin/env bash
# Measures `stampede swarm` against wrk and Locust in one run on this machine, all hitting the same
# static nginx backend on loopback: quick mode vs `wrk -t2` with the same connections (alternating
# rounds), Locust's FastHttpUser for contrast, and 10,000 users with constant(1) against the
# Market API's /healthz.
#
#   bench/scripts/swarm-vs-wrk.sh [DURATION] [CONNECTIONS] [ROUNDS]      (defaults: 15s 64 3)
#
# Needs nginx and wrk; Locust (python3-locust) is optional. Loopback only; everything is stopped on exit.
set -euo pipefail
duration="${1:-15s}"
conns="${2:-64}"
rounds="${3:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for tool in nginx wrk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool (apt-get install $tool)" >&2; exit 2; }
done
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"
port="$(free_port)"; api_port="$(free_port)"
mkdir -p "$work/tmp"
cat > "$work/nginx.conf" <<CONF
worker_processes 1; daemon off; master_process off; pid $work/nginx.pid; error_log $work/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:$port; keepalive_requests 1000000; location / { return 200 "hello from the static backend\n"; } } }
CONF
nginx -p "$work" -c "$work/nginx.conf" & pids+=($!)
"$root/stampede" api --port "$api_port" --db-latency 0 > "$work/api.log" 2>&1 & pids+=($!)
for p in "$port" "$api_port"; do wait_port "$p"; done

ours=(); theirs=()
for r in $(seq "$rounds"); do
  o="$("$root/stampede" swarm "http://127.0.0.1:$port/" -c "$conns" -d "$duration" 2>/dev/null | awk '/Requests\/sec/ {print $2}')"
  w="$(wrk -t2 -c"$conns" -d"$duration" "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}')"
  echo "round $r: stampede $o req/s, wrk $w req/s" >&2
  ours+=("$o"); theirs+=("$w")
done
python3 - "${ours[*]}" "${theirs[*]}" <<'PY'
import sys, statistics as st
o = [float(x) for x in sys.argv[1].split()]; w = [float(x) for x in sys.argv[2].split()]
print(f"quick mode vs wrk -t2: median {st.median(o):.0f} vs {st.median(w):.0f} req/s, ratio {st.median(o)/st.median(w):.2f} (target >= 0.80); per round {[round(a/b, 2) for a, b in zip(o, w)]}")
PY

if command -v locust >/dev/null 2>&1; then
  cat > "$work/fast.py" <<'PY'
from locust import FastHttpUser, task, constant
class Static(FastHttpUser):
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get("/")
PY
  l="$(cd "$work" && timeout 120 locust -f fast.py --headless -u "$conns" -r "$conns" -t "$duration" -H "http://127.0.0.1:$port" --only-summary 2>&1 | awk '/Aggregated/ {print $(NF-1); exit}')"
  echo "Locust FastHttpUser, $conns users: $l req/s"
else
  echo "Locust not installed (apt-get install python3-locust): skipped the Locust contrast"
fi

cat > "$work/10k.yaml" <<YAML
host: http://127.0.0.1:$api_port
users:
  Poller:
    wait_time: constant(1)
    tasks:
      health:
        steps:
          - get: /healthz
YAML
"$root/stampede" swarm -f "$work/10k.yaml" -u 10000 -r 2500 -t 30s --headless --reset-stats --only-summary \
  --json "$work/10k.json" > "$work/10k.out" 2>&1 || true
python3 - "$work/10k.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"10,000 users, constant(1), after spawning: {d['rps']:.0f} req/s, {d['failures']} failures, "
      f"p99 {d['latency_ms']['p99']} ms (service {d['service_ms']['p99']} ms), generator max lag {d['generator']['max_lag_ms']} ms")
PY
