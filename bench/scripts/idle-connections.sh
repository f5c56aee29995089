#!/usr/bin/env bash
# What an idle keep-alive client connection costs each proxy: N clients connect, send one GET each,
# read the answer and stay connected doing nothing. For `stampede proxy` (the launcher's defaults,
# plus native memory tracking) it reads the Java heap in use after a full GC and Netty's direct
# memory (NMT's "Other": memory taken with Unsafe.allocateMemory) before and after, never the RSS,
# which the JVM's reserved heap hides; for nginx (a worker per core) and HAProxy, whose memory is
# their own, the growth of their resident memory. Prints bytes per connection for each.
#
#   bench/scripts/idle-connections.sh [N]        (default 10000; HAProxy gets at most 9000, see below)
#   Use thousands: with a few hundred, the JVM's own heap churn between the two readings hides the cost.
#
# Needs nginx, haproxy and python3. The client and every proxy stay under this machine's
# 20,000-file limit: HAProxy wants two descriptors a connection, so it is measured with fewer.
set -euo pipefail
n="${1:-10000}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$PATH:/usr/sbin"
for tool in nginx haproxy python3 jcmd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool" >&2; exit 2; }
done
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"

backend_port="$(free_port)"; nginx_port="$(free_port)"; haproxy_port="$(free_port)"; ours_port="$(free_port)"
start_nginx backend <<CONF
worker_processes 1; daemon off; master_process off;
events { worker_connections 1024; }
http { access_log off; $(temps backend)
  server { listen 127.0.0.1:$backend_port; location / { return 200 "hello\n"; } } }
CONF
start_nginx proxy <<CONF
worker_processes $(nproc); daemon off; worker_rlimit_nofile 19000;
events { worker_connections 12000; }
http { access_log off; $(temps proxy) keepalive_timeout 300s;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server { listen 127.0.0.1:$nginx_port backlog=4096;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
nginx_master=${pids[-1]}
start_haproxy "$haproxy_port" "$backend_port" 64 9200 300s
cat > "$work/ours.yaml" <<YAML
listen: 127.0.0.1:$ours_port
keepalive_timeout: 300s
locations:
  /:
    proxy_pass: http://backend
upstreams:
  backend:
    keepalive: 64
    servers: ["127.0.0.1:$backend_port"]
YAML
STAMPEDE_JAVA_OPTS="${STAMPEDE_JAVA_OPTS:-} -XX:NativeMemoryTracking=summary" \
  "$root/stampede" proxy -c "$work/ours.yaml" > "$work/ours.log" 2>&1 &
pids+=($!)
ours_pid=${pids[-1]}
for port in "$backend_port" "$nginx_port" "$haproxy_port" "$ours_port"; do wait_port "$port"; done

# The client: N connections, one GET each, then idle until told to go (its standard input closes).
cat > "$work/client.py" <<'PY'
import selectors, socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
sel = selectors.DefaultSelector()
socks, pending = [], 0
for i in range(n):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: idle\r\n\r\n")
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, b"")
    socks.append(s)
    pending += 1
    # Keep the number of unanswered requests small, so the proxy is never asked for thousands at once.
    while pending > 200 or (i == n - 1 and pending):
        for key, _ in sel.select(timeout=10):
            data = key.data + key.fileobj.recv(65536)
            if b"\r\n\r\n" in data and data.endswith(b"\n"):
                sel.unregister(key.fileobj); pending -= 1
            else:
                sel.modify(key.fileobj, selectors.EVENT_READ, data)
print("ready", flush=True)
sys.stdin.read()
PY

rss_kb() { local kb=0 p; for p in "$@"; do kb=$((kb + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status"))); done; echo "$kb"; }
nginx_pids() { echo "$nginx_master $(pgrep -P "$nginx_master" | tr '\n' ' ')"; }
java_bytes() { # heap used after a full GC + NMT "Other" committed, in bytes
  jcmd "$ours_pid" GC.run >/dev/null
  local heap other
  heap="$(jcmd "$ours_pid" GC.heap_info | awk '/used/ {for (i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub(/K,?/,"",v); s+=v}} END {print s*1024}')"
  other="$(jcmd "$ours_pid" VM.native_memory summary | awk -F'committed=' '/- +Other \(/ {split($2,a,"KB"); print a[1]*1024}')"
  echo "$heap ${other:-0}"
}

measure() { # label port count -> prints bytes per connection
  local label=$1 port=$2 count=$3 before after
  exec 7> >(python3 "$work/client.py" "$port" "$count" > "$work/client-$label.out")
  case "$label" in
    stampede) before="$(java_bytes)" ;;
    nginx) before="$(rss_kb $(nginx_pids))" ;;
    haproxy) before="$(rss_kb "$haproxy_pid")" ;;
  esac
  for _ in $(seq 600); do grep -q ready "$work/client-$label.out" 2>/dev/null && break; sleep 0.1; done
  grep -q ready "$work/client-$label.out" || { echo "$label: the client did not finish connecting" >&2; exec 7>&-; return 1; }
  sleep 1
  case "$label" in
    stampede)
      after="$(java_bytes)"
      python3 - "$before" "$after" "$count" <<'PY'
import sys
hb, ob = map(float, sys.argv[1].split()); ha, oa = map(float, sys.argv[2].split()); n = int(sys.argv[3])
print(f"stampede  {n:>6} idle connections: heap {(ha-hb)/n:,.0f} B + direct {(oa-ob)/n:,.0f} B = {(ha-hb+oa-ob)/n:,.0f} B each")
PY
      ;;
    *)
      # shellcheck disable=SC2046
      after="$(if [ "$label" = nginx ]; then rss_kb $(nginx_pids); else rss_kb "$haproxy_pid"; fi)"
      python3 -c "print(f'$label{\" \" * (9 - len(\"$label\"))} {$count:>6} idle connections: resident memory {($after-$before)*1024/$count:,.0f} B each')"
      ;;
  esac
  exec 7>&-
  sleep 2
}

measure stampede "$ours_port" "$n"
measure nginx "$nginx_port" "$n"
measure haproxy "$haproxy_port" "$(( n < 9000 ? n : 9000 ))"
