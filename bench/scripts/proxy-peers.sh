#!/usr/bin/env bash
# The proxy beside nginx and HAProxy, in the same rounds on this machine: one static nginx backend
# (one worker), and in front of it nginx (a worker per core), HAProxy (a thread per core,
# `http-reuse always`) and `stampede proxy` (the launcher's defaults), each with a keep-alive pool
# of 64. The same client, `wrk -t1 --latency`, runs against each in turn, round after round, at
# every connection count, so this machine's noise falls on all three alike.
#
# For each it prints: requests/s, p50 and p99, requests per proxy-CPU-second (utime + stime of the
# proxy's processes from /proc, over the round), and the proxy's resident memory after the rounds;
# then the ratios of stampede to nginx and to HAProxy (medians over the rounds).
#
#   bench/scripts/proxy-peers.sh [DURATION] [CONNECTIONS...]     (defaults: 6s 64 512 2000)
#   WARMUP=SECONDS (default 5, 20 for h2/h2c) sets each peer's warm-up before the rounds;
#   ROUNDS=3 (default) sets the rounds; KEEPALIVE=64 (default) the pool of every proxy (nginx's
#   keepalive, HAProxy's pool-max-conn, ours); STAMPEDE_JAVA_OPTS passes JVM flags to the proxy.
#
# With nginx's semantics (ours too), keepalive is the most idle connections a worker keeps: with
# more requests in flight than that, connections are closed and opened again all the time.
# HAProxy's http-reuse keeps its server connections attached instead, so at 512 clients and a pool
# of 64 it measures its reuse against our churn; KEEPALIVE=1024 compares the engines without churn.
#
# PROTOCOL chooses what the clients speak to the proxies (the backend side stays HTTP/1.1):
#   http1 (default)  cleartext HTTP/1.1, wrk
#   https            HTTP/1.1 over TLS 1.3, wrk: one handshake per connection, then keep-alive
#   handshakes       HTTP/1.1 over TLS with "Connection: close", wrk: a new full handshake per request
#   h2c              cleartext HTTP/2 with prior knowledge, h2load with STREAMS (default 10) streams a connection
#   h2               HTTP/2 over TLS (ALPN), h2load likewise
# UPSTREAM=tls makes the backend an HTTPS server and every proxy speak TLS 1.3 to it over its
# keep-alive pool, sessions resumed (nginx proxy_pass https://, HAProxy "ssl verify none", ours
# proxy_pass https://); certificates are not checked, nginx's default. Any PROTOCOL goes with it.
# UPSTREAM=h2c makes the backend speak only cleartext HTTP/2 (nginx "listen ... http2"), and the
# proxies multiplex their requests over HTTP/2 connections to it (HAProxy "proto h2", ours
# proxy_http_version 2). nginx has no HTTP/2 to upstreams before 1.29, so it sits that one out.
# Every TLS peer uses the same ECDSA P-256 certificate, made for the run with openssl.
#
# Needs nginx, haproxy and wrk (apt-get install nginx haproxy wrk), h2load for h2 and h2c
# (nghttp2-client), openssl for TLS. Everything listens on 127.0.0.1 only and is stopped on exit.
# HAProxy's maxconn stays under the 20,000-file limit.
set -euo pipefail
duration="${1:-6s}"
shift || true
conns=("$@")
[ ${#conns[@]} -gt 0 ] || conns=(64 512 2000)
rounds="${ROUNDS:-3}"
keepalive="${KEEPALIVE:-64}"
protocol="${PROTOCOL:-http1}"
streams="${STREAMS:-10}"
upstream_tls="${UPSTREAM:-plain}"
case "$upstream_tls" in plain|tls|h2c) ;; *) echo "UPSTREAM is plain, tls or h2c (not '$upstream_tls')" >&2; exit 2 ;; esac
peers=(nginx haproxy stampede)
[ "$upstream_tls" = h2c ] && peers=(haproxy stampede)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
case "$protocol" in
  http1) tools=(nginx haproxy wrk) ;;
  https|handshakes) tools=(nginx haproxy wrk openssl) ;;
  h2c) tools=(nginx haproxy h2load) ;;
  h2) tools=(nginx haproxy h2load openssl) ;;
  *) echo "PROTOCOL is one of http1, https, handshakes, h2c, h2 (not '$protocol')" >&2; exit 2 ;;
esac
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || { echo "needs $tool (apt-get install $tool)" >&2; exit 2; }
done
export PATH="$PATH:/usr/sbin"

# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"

backend_port="$(free_port)"; nginx_port="$(free_port)"; haproxy_port="$(free_port)"; ours_port="$(free_port)"

# What each peer's listener says for the protocol, and the scheme the clients use.
scheme=http; nginx_listen=""; haproxy_bind=""; ours_listen=""; nginx_tls=""; ours_tls=""
if { [ "$protocol" != http1 ] && [ "$protocol" != h2c ]; } || [ "$upstream_tls" = tls ]; then
  command -v openssl >/dev/null || { echo "needs openssl" >&2; exit 2; }
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
  cat "$work/tls.crt" "$work/tls.key" > "$work/haproxy.pem"
fi
if [ "$protocol" != http1 ] && [ "$protocol" != h2c ]; then
  scheme=https
  # ssl_protocols spelled out: nginx before 1.23.4 (Debian 12 has 1.22) leaves TLS 1.3 off by
  # default, and a TLS 1.2 resumption skips the key exchange a TLS 1.3 one makes, so the peers
  # would not be doing the same work. HAProxy and ours speak TLS 1.3 by default.
  nginx_tls="ssl_certificate $work/tls.crt; ssl_certificate_key $work/tls.key; ssl_session_cache shared:SSL:10m; ssl_protocols TLSv1.2 TLSv1.3;"
  ours_tls="ssl_certificate: $work/tls.crt
ssl_certificate_key: $work/tls.key
ssl_session_cache: shared:SSL:10m"
fi
case "$protocol" in
  https|handshakes) nginx_listen="ssl"; haproxy_bind="ssl crt $work/haproxy.pem alpn http/1.1"; ours_listen=" ssl" ;;
  h2) nginx_listen="ssl http2"; haproxy_bind="ssl crt $work/haproxy.pem alpn h2,http/1.1"; ours_listen=" ssl http2" ;;
  h2c) nginx_listen="http2"; haproxy_bind="proto h2"; ours_listen=" http2" ;;
esac
# The backend side: cleartext, or TLS with every proxy's pool resuming sessions.
backend_listen=""; backend_tls=""; upstream_scheme=http; haproxy_server=""; ours_upstream_version=""
if [ "$upstream_tls" = h2c ]; then
  backend_listen="http2"; haproxy_server="proto h2"; ours_upstream_version="    proxy_http_version: 2"
fi
if [ "$upstream_tls" = tls ]; then
  backend_listen="ssl"; upstream_scheme=https; haproxy_server="ssl verify none"
  backend_tls="ssl_certificate $work/tls.crt; ssl_certificate_key $work/tls.key; ssl_protocols TLSv1.2 TLSv1.3; ssl_session_cache shared:B:10m;"
fi


start_nginx backend <<CONF
worker_processes 1; daemon off; master_process off; worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http { access_log off; $(temps backend)
  server { listen 127.0.0.1:$backend_port $backend_listen backlog=4096; keepalive_requests 1000000; $backend_tls
    location / { return 200 "hello from the static backend\n"; } } }
CONF

nginx_master=""
if [ "${peers[0]}" = nginx ]; then
start_nginx proxy <<CONF
worker_processes $(nproc); daemon off; worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http { access_log off; $(temps proxy)
  upstream backend { server 127.0.0.1:$backend_port; keepalive $keepalive; keepalive_requests 1000000; }
  server { listen 127.0.0.1:$nginx_port $nginx_listen backlog=4096; keepalive_requests 1000000; $nginx_tls
    location / { proxy_pass $upstream_scheme://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_protocols TLSv1.2 TLSv1.3; } } }
CONF
nginx_master=${pids[-1]}
fi

start_haproxy "$haproxy_port" "$backend_port" "$keepalive" 8000 30s "$haproxy_bind" "$haproxy_server"

cat > "$work/ours.yaml" <<YAML
listen: "127.0.0.1:$ours_port$ours_listen"
$ours_tls
keepalive_requests: 1000000
proxy_forwarded_headers: off
locations:
  /:
    proxy_pass: $upstream_scheme://backend
$ours_upstream_version
upstreams:
  backend:
    keepalive: $keepalive
    keepalive_requests: 1000000
    servers: ["127.0.0.1:$backend_port"]
YAML
"$root/stampede" proxy -c "$work/ours.yaml" > "$work/ours.log" 2>&1 &
pids+=($!)
ours_pid=${pids[-1]}

for port in "$backend_port" "$haproxy_port" "$ours_port"; do wait_port "$port"; done
[ -z "$nginx_master" ] || wait_port "$nginx_port"

# The processes that do a proxy's work: nginx's master and workers, HAProxy's one process, the JVM.
procs() {
  case "$1" in
    nginx) echo "$nginx_master $(pgrep -P "$nginx_master" | tr '\n' ' ')" ;;
    haproxy) echo "$haproxy_pid" ;;
    stampede) echo "$ours_pid" ;;
  esac
}
cpu_ticks() { # pids... -> utime+stime summed, in clock ticks
  local t=0 p f
  for p in "$@"; do
    # Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    f="$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null)" || continue
    t=$((t + $(awk '{print $12 + $13}' <<<"$f")))
  done
  echo "$t"
}
rss_mb() { # pids... -> resident MB summed
  local kb=0 p v
  for p in "$@"; do
    v="$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)"
    kb=$((kb + ${v:-0}))
  done
  echo $((kb / 1024))
}
ms() { # wrk's latency token (812.00us, 3.51ms, 1.02s) -> milliseconds
  awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$1"
}
port_of() { case "$1" in nginx) echo "$nginx_port" ;; haproxy) echo "$haproxy_port" ;; stampede) echo "$ours_port" ;; esac; }

hz="$(getconf CLK_TCK)"
results="$work/results.txt"
: > "$results"
# One measurement with the protocol's client; sets rps, reqs, p50, p99 (ms) and errs.
measure() { # port conns
  local url="$scheme://127.0.0.1:$1/" out
  case "$protocol" in
    h2|h2c)
      rm -f "$work/h2load.log"
      out="$(h2load -c "$2" -m "$streams" -D "${duration%s}" --log-file="$work/h2load.log" "$url")"
      rps="$(awk '/^finished in/ {print $4}' <<<"$out")"
      reqs="$(awk '/^requests:/ {print $8}' <<<"$out")"
      errs="$(awk '/^requests:/ && $10 != "0" {print $10 " failed"}' <<<"$out")"
      read -r p50 p99 < <(python3 -c "
import sys
v = sorted(int(l.split()[2]) for l in open(sys.argv[1]) if l.split()[1] != '-1')
print(v[len(v)//2]/1000, v[min(len(v)-1, int(len(v)*0.99))]/1000) if v else print(0, 0)" "$work/h2load.log")
      ;;
    *)
      local header=()
      [ "$protocol" = handshakes ] && header=(-H "Connection: close")
      out="$(wrk -t1 -c"$2" -d"$duration" --latency "${header[@]}" "$url")"
      rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
      reqs="$(awk '/requests in/ {print $1}' <<<"$out")"
      p50="$(ms "$(awk '$1=="50%" {print $2}' <<<"$out")")"
      p99="$(ms "$(awk '$1=="99%" {print $2}' <<<"$out")")"
      errs="$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")"
      ;;
  esac
}

run() { # name conns round
  local port rps p50 p99 before after reqs errs
  port="$(port_of "$1")"
  # shellcheck disable=SC2046 # the pid list is words
  before="$(cpu_ticks $(procs "$1"))"
  measure "$port" "$2"
  # shellcheck disable=SC2046
  after="$(cpu_ticks $(procs "$1"))"
  local per_cpu
  per_cpu="$(python3 -c "t=($after-$before)/$hz; print(round($reqs/t) if t > 0 else 0)")"
  printf '  %-9s c=%-5s %9s req/s  p50 %7s ms  p99 %8s ms  %7s req/cpu-s  %s\n' "$1" "$2" "$rps" "$p50" "$p99" "$per_cpu" \
    "${errs:-}" >&2
  echo "$1 $2 $3 $rps $p50 $p99 $per_cpu" >> "$results"
}

# WARMUP (seconds, default 5; 20 for HTTP/2): a JVM proxy compiles its request path under load,
# and the HTTP/2 path (streams, flow control, HPACK) takes it about half a minute on two cores
# (measured: 16k, 26k, 28k, 38k req/s in four successive 10 s h2load runs on a fresh proxy).
warmup="${WARMUP:-$(case "$protocol" in h2|h2c) echo 20 ;; *) echo 5 ;; esac)}"
case "$warmup" in
  ''|*[!0-9]*|0) echo "WARMUP is whole seconds, 1 or more (not '$warmup')" >&2; exit 2 ;;
esac
echo "warming up (JIT, pools) for ${warmup}s a peer ..." >&2
for peer in "${peers[@]}"; do
  case "$protocol" in
    h2|h2c) h2load -c 16 -m "$streams" -D "$warmup" "$scheme://127.0.0.1:$(port_of "$peer")/" >/dev/null ;;
    # New handshakes warm their own path (a JIT compiles what it runs): the same header as the rounds.
    handshakes) wrk -t1 -c64 -d"$((warmup + 3))s" -H "Connection: close" "$scheme://127.0.0.1:$(port_of "$peer")/" >/dev/null ;;
    *) wrk -t1 -c64 -d"${warmup}s" "$scheme://127.0.0.1:$(port_of "$peer")/" >/dev/null ;;
  esac
done
for c in "${conns[@]}"; do
  for r in $(seq "$rounds"); do
    echo "connections $c, round $r" >&2
    for peer in "${peers[@]}"; do run "$peer" "$c" "$r"; done
  done
done
# shellcheck disable=SC2046
rss=""
for peer in "${peers[@]}"; do rss="$rss $peer=$(rss_mb $(procs "$peer"))"; done

python3 - "$results" "$rss" "$(nproc)" "$keepalive" "$protocol to the proxies, $upstream_tls to the backend" <<'PY'
import sys, statistics as st, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, c, r, rps, p50, p99, per_cpu = line.split()
    rows[(int(c), name)].append((float(rps), float(p50), float(p99), float(per_cpu)))
rss = dict(kv.split("=") for kv in sys.argv[2].split())
print(f"\n{sys.argv[5]}: {sys.argv[3]} cores, keep-alive pools of {sys.argv[4]}; medians over the rounds; RSS after all rounds: "
      + ", ".join(f"{k} {v} MB" for k, v in rss.items()))
print(f"{'conns':>6} {'proxy':<9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'req/cpu-s':>10}   vs nginx (req/s, p99, req/cpu-s)   vs haproxy")
for c in sorted({k[0] for k in rows}):
    med = {n: [st.median(x[i] for x in rows[(c, n)]) for i in range(4)] for n in ("nginx", "haproxy", "stampede") if (c, n) in rows}
    for n, (rps, p50, p99, cpu) in med.items():
        extra = ""
        if n == "stampede":
            ng, hp = med.get("nginx"), med.get("haproxy")
            f = lambda o: f"{rps / o[0]:.2f}x, {p99 / o[2]:.2f}x, {cpu / o[3]:.2f}x" if o and o[0] and o[2] and o[3] else "-"
            extra = f"   {f(ng):<30} {f(hp)}"
        print(f"{c:>6} {n:<9} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {cpu:>10.0f}{extra}")
PY
