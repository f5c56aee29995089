#!/usr/bin/env bash
# What the live web UI costs the generator: the same scenario, the same users and duration,
# headless and then with the web UI (started by --autostart) watched by a headless Chromium page
# (the event stream and the charts live), in alternating rounds against the Market API's /healthz.
# The page runs on the same two cores, so its drawing is part of what is measured.
#
#   bench/scripts/ui-overhead.sh [DURATION] [USERS] [ROUNDS]      (defaults: 15s 64 3)
#
# Needs chromium. Loopback only; everything is stopped on exit.
set -euo pipefail
duration="${1:-15s}"
users="${2:-64}"
rounds="${3:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v chromium >/dev/null 2>&1 || { echo "needs chromium (apt-get install chromium)" >&2; exit 2; }
# shellcheck source=lib.sh
. "$root/bench/scripts/lib.sh"
api_port="$(free_port)"
"$root/stampede" api --port "$api_port" --db-latency 0 > "$work/api.log" 2>&1 & pids+=($!)
wait_port "$api_port"
cat > "$work/scenario.yaml" <<YAML
users:
  Poller:
    wait_time: constant(0)
    tasks:
      health: {weight: 2, steps: [{get: /healthz}]}
      paged: {steps: [{get: "/healthz?page=2", name: "/healthz [paged]"}]}
YAML
common=(-f "$work/scenario.yaml" -H "http://127.0.0.1:$api_port" -u "$users" -r 1000 -t "$duration" --only-summary)

# One unmeasured run first: the target's and the generator's JIT warm up on it, not on round 1.
"$root/stampede" swarm "${common[@]}" --headless > /dev/null 2>&1 || true

rps() { python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["rps"]))' "$1"; }
headless=(); web=()
for r in $(seq "$rounds"); do
  "$root/stampede" swarm "${common[@]}" --headless --json "$work/h$r.json" > "$work/h$r.log" 2>&1 || true
  ui_port="$(free_port)"
  "$root/stampede" swarm "${common[@]}" --web-port "$ui_port" --autostart --autoquit 0 --json "$work/w$r.json" \
    > "$work/w$r.log" 2>&1 & swarm=$!
  wait_port "$ui_port"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --remote-debugging-port=0 --user-data-dir="$work/profile$r" \
    "http://127.0.0.1:$ui_port/" > "$work/chromium$r.log" 2>&1 & page=$!
  pids+=("$page")
  wait "$swarm" || true
  kill "$page" 2>/dev/null || true
  h="$(rps "$work/h$r.json")"; w="$(rps "$work/w$r.json")"
  echo "round $r: headless $h req/s, web UI watched $w req/s" >&2
  headless+=("$h"); web+=("$w")
done
python3 - "${headless[*]}" "${web[*]}" <<'PY'
import sys
h = [float(x) for x in sys.argv[1].split()]
w = [float(x) for x in sys.argv[2].split()]
print("headless: %s req/s (best %.0f)" % (", ".join("%.0f" % x for x in h), max(h)))
print("web UI:   %s req/s (best %.0f)" % (", ".join("%.0f" % x for x in w), max(w)))
print("ratio web/headless: best %.2f, per round %s" % (max(w) / max(h), ", ".join("%.2f" % (b / a) for a, b in zip(h, w))))
PY
