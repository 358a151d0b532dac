#!/usr/bin/env bash
# Intake benchmark: a Wavegate on loopback with a fresh SQLite database,
# loaded by internal/cmd/loadgen from a second process with signed ~20 KB
# pull_request deliveries. Prints the figures recorded in BENCHMARKS.md.
# The workers run throughout. ACTION=closed (the default) makes each delivery
# a no-op for them (no handler takes it); ACTION=synchronize sends what the
# review gate takes, which with no GitHub App configured ends dead at once.
# The server's CPU time is reported per delivery taken in, intake and
# processing together (read it when the depth after the run is 0).
# It is also reported for the steady state alone, from WARMUP (10) seconds
# into the load to its end: a fresh database grows its WAL file to full size
# in the first seconds, which a server that has run for a while has done.
# BIN=path runs that wavegate binary instead of building this checkout's (to
# compare two versions side by side); DURATION (30s) is each open-loop run's
# length; CLOSED_LOOP=0 skips the closed-loop run.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-3917}
action=${ACTION:-closed}
secret=bench-secret
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT

if [ -n "${BIN:-}" ]; then cp "$BIN" "$dir/wavegate"; else go build -o "$dir/wavegate" ./cmd/wavegate; fi
go build -o "$dir/loadgen" ./internal/cmd/loadgen

url="http://127.0.0.1:$port/webhooks/github"
server=

# Each scenario gets a fresh server and database, so one does not measure
# the backlog the other left.
start_server() {
  rm -rf "$dir/data"
  "$dir/wavegate" serve --listen "127.0.0.1:$port" --data-dir "$dir/data" \
    --github-webhook-secret "$secret" --log-level warn --log-format json 2>>"$dir/server.log" &
  server=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not become ready" >&2; cat "$dir/server.log" >&2; exit 1
}

# The share of CPU time the hypervisor took from this machine during a run:
# on a shared VM it, not Wavegate, often decides the latency tail.
cpu_sample() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $9}' /proc/stat; }
report_steal() {
  read -r total0 steal0 <<<"$1"; read -r total1 steal1 <<<"$(cpu_sample)"
  awk -v t=$((total1 - total0)) -v s=$((steal1 - steal0)) 'BEGIN{ if (t > 0) printf "cpu steal during the run: %.1f%%\n", 100*s/t }'
}

# CPU seconds the server has used (user + system), from /proc.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / hz}' "/proc/$server/stat"; }
metric() { curl -fs "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%d\n", s}'; }
# report_cpu prints the server's CPU per delivery received since cpu0,
# once the workers have caught up (at most 10 s after the load).
report_cpu() {
  for _ in $(seq 20); do [ "$(metric wavegate_inbox_depth)" -eq 0 ] && break; sleep 0.5; done
  local n; n=$(metric wavegate_webhook_deliveries_received_total)
  awk -v c="$(cpu_secs)" -v c0="$1" -v n="$n" -v d="$(metric wavegate_inbox_depth)" 'BEGIN{
    printf "server CPU %.2f s for %d deliveries: %.3f ms per delivery, intake and processing (depth after: %d)\n", c - c0, n, 1000 * (c - c0) / n, d }'
  echo "load: $(uptime | sed 's/.*load average/load average/')"
}

# steady_cpu prints the server's CPU per delivery received between two
# samples of "CPU seconds, deliveries received".
steady_cpu() {
  read -r c1 n1 <<<"$1"; read -r c2 n2 <<<"$2"
  awk -v c="$(awk -v a="$c1" -v b="$c2" 'BEGIN{print b - a}')" -v n=$((n2 - n1)) -v w="$3" 'BEGIN{ if (n > 0)
    printf "steady state (from %s s into the load to its end): %.3f ms per delivery over %d deliveries\n", w, 1000 * c / n, n }'
}

stop_server() {
  echo "-- server after the run:"
  curl -fs "http://127.0.0.1:$port/metrics" | grep -E '^wavegate_(inbox_depth|webhook_deliveries_received_total|deliveries_processed_total)' || true
  kill "$server"; wait "$server" || true
}

runs=${RUNS:-3}
duration=${DURATION:-30s}
warmup=${WARMUP:-10}
# Whole seconds of the duration, for the steady-state window ("30s", "1m").
duration_s=$(awk -v d="$duration" 'BEGIN{ n = d + 0; if (d ~ /m$/) n *= 60; print int(n) }')
echo "pull_request deliveries with action $action; $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
for repos in ${REPOS:-1 100}; do
  for i in $(seq "$runs"); do
    echo "== acknowledgement latency at 500 deliveries/s (open loop, $duration), $repos repositories, run $i of $runs"
    start_server
    before=$(cpu_sample); cpu0=$(cpu_secs)
    "$dir/loadgen" -url "$url" -secret "$secret" -rate 500 -concurrency 64 -duration "$duration" -repos "$repos" -action "$action" &
    load=$!
    steady0=
    if [ "$duration_s" -gt $((warmup + 5)) ]; then
      sleep "$warmup"; steady0="$(cpu_secs) $(metric wavegate_webhook_deliveries_received_total)"
    fi
    wait "$load"
    steady1="$(cpu_secs) $(metric wavegate_webhook_deliveries_received_total)"
    report_steal "$before"
    report_cpu "$cpu0"
    [ -z "$steady0" ] || steady_cpu "$steady0" "$steady1" "$warmup"
    stop_server
    echo
  done
done
[ "${CLOSED_LOOP:-1}" = 0 ] && exit 0
echo "== maximum sustained intake (closed loop, 64 in flight, 30 s)"
start_server
before=$(cpu_sample)
"$dir/loadgen" -url "$url" -secret "$secret" -concurrency 64 -duration 30s -action "$action"
report_steal "$before"
stop_server
