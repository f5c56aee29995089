#!/usr/bin/env bash
# What a Prometheus scrape of a large configuration costs proxied traffic: wrk through
# `stampede proxy` to a static nginx backend, once undisturbed and once while /metrics is scraped
# every INTERVAL seconds (0: back to back, the worst case), with an upstream of PEERS servers
# (never used by the traffic) in the config. Alternates rounds; prints each round's req/s and
# p99 and the scrapes' times.
#
#   bench/scripts/metrics-scrape-impact.sh [DURATION] [CONNECTIONS] [ROUNDS] [PEERS] [INTERVAL]
#   (defaults: 10s 64 2 1000 1)
set -euo pipefail
duration="${1:-10s}"
conns="${2:-64}"
rounds="${3:-2}"
peers="${4:-1000}"
interval="${5:-1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for tool in nginx wrk curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool (apt-get install $tool)" >&2; exit 2; }
done
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"

backend_port="$(free_port)"; ours_port="$(free_port)"; admin_port="$(free_port)"
mkdir -p "$work/backend/tmp"
cat > "$work/backend/nginx.conf" <<CONF
worker_processes 1; daemon off; master_process off;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/backend/tmp; proxy_temp_path $work/backend/tmp;
  fastcgi_temp_path $work/backend/tmp; uwsgi_temp_path $work/backend/tmp; scgi_temp_path $work/backend/tmp;
  server { listen 127.0.0.1:$backend_port; keepalive_requests 100000;
    location / { return 200 "hello from the static backend\n"; } } }
CONF
nginx -p "$work/backend" -c "$work/backend/nginx.conf" -g "pid $work/backend/nginx.pid; error_log $work/backend/error.log;" &
pids+=($!)

{
  echo "listen: 127.0.0.1:$ours_port"
  echo "admin:"
  echo "  listen: 127.0.0.1:$admin_port"
  echo "keepalive_requests: 100000"
  echo "proxy_forwarded_headers: off"
  echo "locations:"
  echo "  /:"
  echo "    proxy_pass: http://backend"
  echo "  /wide/:"
  echo "    proxy_pass: http://wide"
  echo "upstreams:"
  echo "  backend:"
  echo "    keepalive: 32"
  echo "    servers: [\"127.0.0.1:$backend_port\"]"
  echo "  wide:"
  echo "    servers:"
  for i in $(seq 0 $((peers - 1))); do echo "      - 127.0.0.2:$((20000 + i))"; done
} > "$work/ours.yaml"
"$root/stampede" proxy -c "$work/ours.yaml" > "$work/ours.log" 2>&1 &
pids+=($!)
for port in "$backend_port" "$ours_port" "$admin_port"; do wait_port "$port"; done

run() { # label
  wrk -t2 -c"$conns" -d"$duration" --latency "http://127.0.0.1:$ours_port/" \
    | awk -v l="$1" '/Requests\/sec/ {r=$2} $1=="99%" {p=$2} END {printf "%-10s %10s req/s   p99 %s\n", l, r, p}'
}
scrape_loop() { # seconds -> scrape times, one a line
  local end=$((SECONDS + $1))
  while [ "$SECONDS" -lt "$end" ]; do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$admin_port/metrics"
    [ "$interval" = 0 ] || sleep "$interval"
  done > "$work/scrapes.txt"
}

secs="${duration%s}"
wrk -t2 -c"$conns" -d10s "http://127.0.0.1:$ours_port/" >/dev/null   # JIT warm-up
for _ in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$admin_port/metrics"; done
for r in $(seq "$rounds"); do
  echo "round $r"
  run quiet
  scrape_loop "$secs" &
  scraper=$!
  run scraping
  wait "$scraper"
  python3 - "$work/scrapes.txt" <<'PY'
import sys, statistics as st
t = [float(x) * 1000 for x in open(sys.argv[1]) if x.strip()]
if t:
    t.sort()
    print(f"           {len(t)} scrapes: median {st.median(t):.0f} ms, max {t[-1]:.0f} ms")
PY
done
