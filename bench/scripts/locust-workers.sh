#!/usr/bin/env bash
# One real Locust master (Debian's python3-locust) driving four workers in the same run: two of
# ours (`stampede swarm --worker`) and two of Locust's own Python workers (FastHttpUser, its
# fastest client), the master splitting USERS users between them. Each side loads its own port of
# one static nginx, so the requests each side made are counted by nginx's access log, and each
# worker process's CPU time is read from /proc. Prints requests per second per worker process and
# requests per CPU-second, side by side.
#
#   bench/scripts/locust-workers.sh [USERS] [DURATION]      (defaults: 200 30s)
#
# Debian's locust reports an empty version string (its package lacks the version file), and its
# master refuses a worker whose version is empty as "pre 2.0"; the Python workers here run with
# the version set to the package's, 2.12.1, which is all the master checks. Ours send
# stampede-VERSION, which the master accepts with a warning. Loopback only.
set -euo pipefail
users="${1:-200}"
duration="${2:-30s}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for tool in nginx locust; do
  command -v "$tool" >/dev/null 2>&1 || { echo "needs $tool (apt-get install nginx python3-locust)" >&2; exit 2; }
done
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"
theirs_port="$(free_port)"; ours_port="$(free_port)"; master_port="$(free_port)"
{
  echo "worker_processes 1; daemon off; master_process off; events { worker_connections 4096; }"
  echo "http { keepalive_requests 1000000; log_format n '.';"
  temps nginx
  echo "  server { listen 127.0.0.1:$theirs_port; access_log $work/theirs.log n; location / { return 200 \"hello\\n\"; } }"
  echo "  server { listen 127.0.0.1:$ours_port; access_log $work/ours.log n; location / { return 200 \"hello\\n\"; } } }"
} > "$work/nginx-conf"
start_nginx nginx < "$work/nginx-conf"   # not in a pipeline: its pid must reach $pids here
wait_port "$theirs_port"; wait_port "$ours_port"

# The master's locustfile and Locust's workers' (their host is the class's); ours run the same class from YAML.
cat > "$work/locustfile.py" <<PY
from locust import FastHttpUser, task, constant
class Static(FastHttpUser):
    host = "http://127.0.0.1:$theirs_port"
    wait_time = constant(0)
    @task
    def get(self):
        self.client.get("/")
PY
cat > "$work/static.yaml" <<'YAML'
users:
  Static:
    wait_time: constant(0)
    tasks:
      get: {steps: [{get: /}]}
YAML
"$root/stampede" swarm --version > /dev/null   # builds the jar first, outside the measured run

(cd "$work" && locust -f locustfile.py --master --headless --expect-workers 4 -u "$users" -r "$users" -t "$duration" \
    --master-bind-port "$master_port" --only-summary > "$work/master.log" 2>&1) & master=$!; pids+=($master)
sleep 1
workers=()
for i in 1 2; do
  (cd "$work" && exec /usr/bin/python3 -c 'import sys, locust.runners as r; r.__version__ = "2.12.1"; from locust.main import main; sys.argv[0] = "locust"; sys.exit(main())' \
      --worker --master-port "$master_port" -f locustfile.py > "$work/locust-$i.log" 2>&1) & workers+=($!); pids+=($!)
  "$root/stampede" swarm --worker -f "$work/static.yaml" -H "http://127.0.0.1:$ours_port" --master-port "$master_port" \
      > "$work/stampede-$i.log" 2>&1 & workers+=($!); pids+=($!)
done
# CPU seconds of each worker process, read until it exits (the master ends them with the run).
declare -A cpu
while kill -0 "$master" 2>/dev/null; do
  for p in "${workers[@]}"; do
    # The python one is a subshell's exec: its pid is the process itself.
    if [ -r "/proc/$p/stat" ]; then
      cpu[$p]="$(awk '{print ($14 + $15) / 100}' "/proc/$p/stat" 2>/dev/null || echo "${cpu[$p]:-0}")"
    fi
  done
  sleep 0.5
done
wait "$master" || true
seconds="$(python3 -c "import sys; d=sys.argv[1]; print(float(d[:-1]) * {'s': 1, 'm': 60}[d[-1]])" "$duration")"
theirs="$(wc -l < "$work/theirs.log")"; ours="$(wc -l < "$work/ours.log")"
python3 - "$theirs" "$ours" "$seconds" "${cpu[${workers[0]}]:-0}" "${cpu[${workers[2]}]:-0}" "${cpu[${workers[1]}]:-0}" "${cpu[${workers[3]}]:-0}" "$users" <<'PY'
import sys
theirs, ours, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
lc = [float(sys.argv[4]), float(sys.argv[5])]; sc = [float(sys.argv[6]), float(sys.argv[7])]
users = int(sys.argv[8])
t_rps, o_rps = theirs / 2 / secs, ours / 2 / secs
t_eff = theirs / max(sum(lc), 1e-9); o_eff = ours / max(sum(sc), 1e-9)
print(f"Locust master, {users} users over 4 workers, {secs:.0f} s:")
print(f"  Locust's Python workers (FastHttpUser): {theirs} requests, {t_rps:.0f} req/s per worker process, "
      f"CPU {sum(lc):.1f} s, {t_eff:.0f} requests per CPU-second")
print(f"  stampede swarm --worker:                {ours} requests, {o_rps:.0f} req/s per worker process, "
      f"CPU {sum(sc):.1f} s, {o_eff:.0f} requests per CPU-second")
print(f"  ratio per worker process: {o_rps / max(t_rps, 1e-9):.1f}x req/s, {o_eff / max(t_eff, 1e-9):.1f}x requests per CPU-second")
PY
grep -E "Aggregated" "$work/master.log" | head -1 | sed 's/^/  master: /'
