#!/usr/bin/env bash
# Measures the proxy against nginx in one run on this machine: wrk straight to a static backend,
# through nginx, and through `stampede proxy`, with the same upstream keepalive and nginx running
# one worker per core. Prints requests/s and p99 for each, and our ratios to nginx.
#
#   bench/scripts/proxy-vs-nginx.sh [DURATION] [CONNECTIONS] [ROUNDS]     (defaults: 10s 64 2)
#
# Needs nginx and wrk (apt-get install nginx wrk). Everything listens on 127.0.0.1 only and is
# stopped on exit.
set -euo pipefail
duration="${1:-10s}"
conns="${2:-64}"
rounds="${3:-2}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for tool in nginx wrk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool (apt-get install $tool)" >&2; exit 2; }
done

# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"

backend_port="$(free_port)"; nginx_port="$(free_port)"; ours_port="$(free_port)"


# The static backend: one nginx worker answering a small body, as fast as it goes.
start_nginx backend <<CONF
worker_processes 1; daemon off; master_process off;
events { worker_connections 4096; }
http { access_log off; $(temps backend)
  server { listen 127.0.0.1:$backend_port; keepalive_requests 100000;
    location / { return 200 "hello from the static backend\n"; } } }
CONF

# nginx as the balancer: one worker per core, upstream keepalive 32, HTTP/1.1 upstream.
start_nginx proxy <<CONF
worker_processes $(nproc); daemon off;
events { worker_connections 4096; }
http { access_log off; $(temps proxy)
  upstream backend { server 127.0.0.1:$backend_port; keepalive 32; }
  server { listen 127.0.0.1:$nginx_port; keepalive_requests 100000;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF

cat > "$work/ours.yaml" <<YAML
listen: 127.0.0.1:$ours_port
keepalive_requests: 100000
proxy_forwarded_headers: off
locations:
  /:
    proxy_pass: http://backend
upstreams:
  backend:
    keepalive: 32
    servers: ["127.0.0.1:$backend_port"]
YAML
"$root/stampede" proxy -c "$work/ours.yaml" > "$work/ours.log" 2>&1 &
pids+=($!)

for port in "$backend_port" "$nginx_port" "$ours_port"; do wait_port "$port"; done

run() { # label port -> "rps p99ms errors"
  local out rps p99 errs
  out="$(wrk -t2 -c"$conns" -d"$duration" --latency "http://127.0.0.1:$2/")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")"
  errs="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')"
  printf '%-8s %10s req/s   p99 %8s ms   %s\n' "$1" "$rps" "$p99" "${errs:-no errors}" >&2
  echo "$rps $p99"
}

# Warm up the JIT, then alternate so machine noise hits all three alike.
wrk -t2 -c"$conns" -d15s "http://127.0.0.1:$ours_port/" >/dev/null
declare -a direct_r nginx_r ours_r direct_p nginx_p ours_p
for r in $(seq "$rounds"); do
  echo "round $r" >&2
  read -r a b < <(run direct "$backend_port"); direct_r+=("$a"); direct_p+=("$b")
  read -r a b < <(run nginx "$nginx_port"); nginx_r+=("$a"); nginx_p+=("$b")
  read -r a b < <(run stampede "$ours_port"); ours_r+=("$a"); ours_p+=("$b")
done

python3 - "${direct_r[*]}" "${nginx_r[*]}" "${ours_r[*]}" "${direct_p[*]}" "${nginx_p[*]}" "${ours_p[*]}" <<'PY'
import sys, statistics as st
d, n, o, dp, np_, op = ([float(x) for x in a.split()] for a in sys.argv[1:7])
md, mn, mo = st.median(d), st.median(n), st.median(o)
pd, pn, po = st.median(dp), st.median(np_), st.median(op)
print(f"median req/s: direct {md:.0f}, nginx {mn:.0f}, stampede {mo:.0f}")
print(f"throughput ratio stampede/nginx: {mo/mn:.2f}  (target >= 0.80)")
added_n, added_o = pn - pd, max(po - pd, 0.0)
print(f"median p99 ms: direct {pd:.2f}, nginx {pn:.2f}, stampede {po:.2f}")
if added_n < 0.1:
    print(f"added p99 over direct: nginx {added_n:.2f} ms (within noise: no meaningful ratio), stampede {added_o:.2f} ms; run longer or more rounds")
else:
    print(f"added p99 over direct: nginx {added_n:.2f} ms, stampede {added_o:.2f} ms, ratio {added_o/added_n:.2f}  (target <= 2.0)")
PY
