# Shared by the measurement scripts here: a scratch folder, processes stopped on exit, free ports.
# Source it after `set -euo pipefail`; it defines $work, $pids, free_port and wait_port.
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A port free on 127.0.0.1 right now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Waits (up to 20 s) until something accepts connections on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing is listening on 127.0.0.1:$1" >&2
  return 1
}

# Starts nginx under $work/$1 with the configuration on standard input (its pid joins $pids).
start_nginx() {
  mkdir -p "$work/$1/tmp"
  cat > "$work/$1/nginx.conf"
  nginx -p "$work/$1" -c "$work/$1/nginx.conf" -g "pid $work/$1/nginx.pid; error_log $work/$1/error.log;" &
  pids+=($!)
}
# nginx's temporary paths inside $work/$1, for an http block.
temps() { for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $work/$1/tmp;"; done; }

# Starts HAProxy in front of 127.0.0.1:$2, listening on 127.0.0.1:$1, with http-reuse always and a
# pool of $3 idle server connections; $4 is maxconn (keep it under this machine's 20,000-file
# limit: HAProxy wants two descriptors a connection), $5 the client and keep-alive timeout, and
# $6 (optional) more words for the bind line (TLS: "ssl crt FILE alpn h2,http/1.1"; h2c: "proto h2").
# Its pid joins $pids and is left in $haproxy_pid.
start_haproxy() {
  cat > "$work/haproxy.cfg" <<CFG
global
  maxconn $4
  nbthread $(nproc)
defaults
  mode http
  timeout connect 5s
  timeout client $5
  timeout server 30s
  timeout http-keep-alive $5
  http-reuse always
frontend f
  bind 127.0.0.1:$1 ${6:-}
  default_backend b
backend b
  server s1 127.0.0.1:$2 pool-max-conn $3 ${7:-}
CFG
  haproxy -db -f "$work/haproxy.cfg" > "$work/haproxy.log" 2>&1 &
  pids+=($!)
  haproxy_pid=$!
}
