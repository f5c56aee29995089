#!/usr/bin/env bash
# The swarm past one process: USERS users (default 40,000) waiting constant(4) between requests
# (about USERS/4 requests a second) across PROCESSES worker processes (`swarm --processes`, default
# 4) against APIS Market API processes sharing one port by SO_REUSEPORT (`api --reuse-port`,
# default 4): no process holds more than its share of the connections, under this machine's
# 20,000-file limit. Checks that the swarm's count equals what the API processes answered, in total.
#
# Every latency is also written raw (`--raw-log`, one file per worker), to check that the merged
# p99 is the p99 of all of them, and to give the latency once every user is running.
#
#   bench/scripts/swarm-processes.sh [USERS] [PROCESSES] [APIS] [DURATION]   (defaults: 40000 4 3 100s)
#
# Users connect from several loopback addresses (`--source-ips`): from one address to one port
# Linux has about 28,000 local ports, fewer than 40,000 connections.
#
# Loopback only; everything is stopped on exit.
set -euo pipefail
users="${1:-40000}"
processes="${2:-4}"
apis="${3:-3}"
duration="${4:-100s}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"
port="$(free_port)"
export MARKET_JWT_SECRET="swarm-processes-secret-0123456789"   # every API process accepts every token
spawn=$(( users / 40 > 100 ? users / 40 : 100 ))                # all users in about 40 s
sources=$(( users / 8000 + 1 ))                                   # at most 8,000 connections per source address

# Starts the API processes (round $1): they print what each answered when they stop.
start_apis() {
  api_pids=()
  for i in $(seq "$apis"); do
    "$root/stampede" api --port "$port" --reuse-port --name "api-$i" --workers 64 --db-latency 0 --max-queue 8192 \
        --hash-iterations 100 --io-threads 1 > "$work/api-$1-$i.log" 2>&1 &
    api_pids+=($!); pids+=($!)
  done
  wait_port "$port"
  for i in $(seq "$apis"); do
    for _ in $(seq 100); do grep -q "listening on" "$work/api-$1-$i.log" && break; sleep 0.2; done
  done
}
# Stops them and leaves the sum of what they answered in round $1 in $answered.
stop_apis() {
  for p in "${api_pids[@]}"; do kill -TERM "$p"; done
  for p in "${api_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  answered="$(cat "$work"/api-"$1"-*.log | sed -n 's/.*answered \([0-9]*\) API requests.*/\1/p' | awk '{s += $1} END {print s + 0}')"
}

cat > "$work/users.yaml" <<'YAML'
users:
  Shopper:
    wait_time: constant(4)
    on_start:
      - post: /api/v1/auth/token/
        json: {email: demo@market.test, password: demo-password}
        capture: {token: $.access}
    tasks:
      view:
        steps:
          - get: /api/v1/products/7/
            headers: {Authorization: "Bearer ${token}"}
YAML

# The whole load, every request written raw by its worker.
start_apis big
echo "== $users users across $processes processes against $apis API processes on :$port, $duration" >&2
start=$(date +%s)
"$root/stampede" swarm -f "$work/users.yaml" -H "http://127.0.0.1:$port" -u "$users" -r "$spawn" -t "$duration" \
    --source-ips "$sources" --headless --only-summary --processes "$processes" --json "$work/big.json" --csv "$work/big" \
    --raw-log "$work/raw.csv" > "$work/big.out" 2>&1 \
    || { cat "$work/big.out" >&2; exit 1; }
end=$(date +%s)
grep -E "Worker processes|Aggregated|Generator" "$work/big.out" | head -4
stop_apis big
python3 - "$work" "$users" "$processes" "$apis" "$((end - start))" "$answered" <<'PY'
import csv, json, math, sys
work, users, processes, apis, wall, answered = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rows = []
for i in range(processes):
    with open(f"{work}/raw.{i}.csv") as f:
        rows += [(int(r["timestamp_ms"]), int(r["latency_us"])) for r in csv.DictReader(f)]
def p(values, q):
    values = sorted(values)
    return values[math.ceil(q * len(values)) - 1]
s = json.load(open(f"{work}/big.json"))
hist = list(csv.DictReader(open(f"{work}/big_stats_history.csv")))
agg = [r for r in hist if r["Name"] == "Aggregated"]
peak_users = max(int(r["User Count"]) for r in agg)
steady = [float(r["Requests/s"]) for r in agg if int(r["User Count"]) >= users * 0.99][-20:]
steady_rps = sum(steady) / max(1, len(steady))
merged = round(s["latency_ms"]["p99"] * 1000)
raw = p([l for _, l in rows], 0.99)
end = max(t for t, _ in rows)
last = [l for t, l in rows if t > end - 30_000]
print(f"raw rows {len(rows)} (summary {s['requests']}); p99 of all raw latencies {raw} us, merged p99 {merged} us "
      f"({'same bucket' if raw <= merged <= raw * 1.001 + 1 else 'DIFFERENT'}); last 30 s, all users running: "
      f"{len(last) / 30:.0f} req/s, p50 {p(last, 0.5) / 1000:.2f} ms, p99 {p(last, 0.99) / 1000:.2f} ms, max {max(last) / 1000:.1f} ms")
print(f"{users} users ({peak_users} at once) across {processes} processes against {apis} API processes: "
      f"{s['requests']} requests, {s['failures']} failures; API processes answered {answered} "
      f"({'equal' if answered == s['requests'] else 'DIFFERENT'}); steady {steady_rps:.0f} req/s (last 20 s at full strength); "
      f"whole run (spawn and log-ins included) p50 {s['latency_ms']['p50']} ms, p99 {s['latency_ms']['p99']} ms; generator CPU {s['generator']['cpu'] * 100:.0f}% "
      f"(peak {s['generator']['peak_cpu'] * 100:.0f}%), saturated: {s['generator']['saturated']}; {wall} s wall")
PY
