#!/usr/bin/env bash
# Measures `stampede swarm --http2` against h2load (nghttp2's HTTP/2 load generator) in one run on
# this machine: both hit the same static nginx over HTTP/2 with the same connections and streams
# per connection, in alternating rounds.
#
#   bench/scripts/swarm-vs-h2load.sh [DURATION] [CONNECTIONS] [STREAMS] [ROUNDS]   (defaults: 10s 8 16 3)
#   PROTOCOL=h2 bench/scripts/swarm-vs-h2load.sh ...   (h2 over TLS, config/tls/localhost.crt; default h2c)
#
# Needs nginx and h2load (apt-get install nghttp2-client). Loopback only; everything is stopped on exit.
set -euo pipefail
duration="${1:-10s}"
conns="${2:-8}"
streams="${3:-16}"
rounds="${4:-3}"
protocol="${PROTOCOL:-h2c}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for tool in nginx h2load; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool (apt-get install nginx nghttp2-client)" >&2; exit 2; }
done
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"
port="$(free_port)"
mkdir -p "$work/tmp"
case "$protocol" in
  h2c) listen="listen 127.0.0.1:$port http2;"; url="http://127.0.0.1:$port/"; flags=() ;;
  h2) listen="listen 127.0.0.1:$port ssl http2; ssl_certificate $root/config/tls/localhost.crt; ssl_certificate_key $root/config/tls/localhost.key;"
      url="https://localhost:$port/"; flags=(--insecure) ;;
  *) echo "PROTOCOL must be h2c or h2, not $protocol" >&2; exit 2 ;;
esac
cat > "$work/nginx.conf" <<CONF
worker_processes 1; daemon off; master_process off; pid $work/nginx.pid; error_log $work/error.log;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp; http2_max_concurrent_streams 1024;
  server { $listen keepalive_requests 1000000; location / { return 200 "hello from the static backend\n"; } } }
CONF
nginx -p "$work" -c "$work/nginx.conf" & pids+=($!)
wait_port "$port"
secs="${duration%s}"
ours=(); theirs=()
for r in $(seq "$rounds"); do
  o="$("$root/stampede" swarm "$url" --http2 -c "$conns" -m "$streams" -d "$duration" "${flags[@]}" 2>/dev/null | awk '/Requests\/sec/ {print $2}')"
  h="$(h2load -t2 -c"$conns" -m"$streams" -D"$secs" "$url" 2>/dev/null | awk '/^finished in/ {gsub(",", "", $4); print $4}')"
  echo "round $r: stampede $o req/s, h2load $h req/s" >&2
  ours+=("$o"); theirs+=("$h")
done
python3 - "${ours[*]}" "${theirs[*]}" "$protocol" "$conns" "$streams" <<'PY'
import sys, statistics as st
o = [float(x) for x in sys.argv[1].split()]; h = [float(x) for x in sys.argv[2].split()]
print(f"{sys.argv[3]}, {sys.argv[4]} connections x {sys.argv[5]} streams: swarm --http2 vs h2load -t2: median "
      f"{st.median(o):.0f} vs {st.median(h):.0f} req/s, ratio {st.median(o)/st.median(h):.2f}; per round {[round(a/b, 2) for a, b in zip(o, h)]}")
PY
