#!/usr/bin/env bash
# Queue processing benchmark: how fast the workers work off deliveries the
# handler refuses at once (the server has no GitHub App configured), alone and
# while intake holds 500/s. A backlog is built by a closed-loop burst (the
# workers run but fall behind) and the server stopped; a fresh one on the same
# database is then timed until wavegate_inbox_depth reads 0, or loaded at
# 500/s for 30 s. Prints the figures recorded in BENCHMARKS.md ("Queue
# processing").
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-3918}
secret=bench-secret
repos_list=${REPOS:-"1 100"}
burst=${BURST:-4s}
dir=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT

go build -o "$dir/wavegate" ./cmd/wavegate
go build -o "$dir/loadgen" ./internal/cmd/loadgen

url="http://127.0.0.1:$port/webhooks/github"
metrics="http://127.0.0.1:$port/metrics"

start_server() {
  "$dir/wavegate" serve --listen "127.0.0.1:$port" --data-dir "$dir/data" \
    --github-webhook-secret "$secret" --log-level warn --log-format json 2>>"$dir/server.log" &
  server=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not become ready" >&2; cat "$dir/server.log" >&2; exit 1
}
stop_server() { kill "$server"; wait "$server" || true; server=; }
metric() { curl -fs "$metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%d\n", s}'; }
# CPU seconds the server has used (user + system), from /proc.
cpu_secs() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / hz}' "/proc/$server/stat"; }
now() { date +%s.%N; }
# Deliveries finished: with no GitHub App configured the handler refuses each
# at once, so they end dead, not done.
finished() { echo $(( $(metric wavegate_deliveries_processed_total) + $(metric wavegate_deliveries_dead_total) )); }

# build_backlog leaves a stopped server's database with a backlog.
build_backlog() {
  rm -rf "$dir/data"
  start_server
  "$dir/loadgen" -url "$url" -secret "$secret" -concurrency 64 -duration "$burst" -repos "$1" | grep -E '^throughput'
  stop_server
}

# drain starts a server on the backlog and times it down to depth 0,
# sampling every 0.5 s.
drain() {
  start_server
  local depth0 processed0 cpu0 t0
  depth0=$(metric wavegate_inbox_depth); processed0=$(finished)
  cpu0=$(cpu_secs); t0=$(now)
  local depth=$depth0 t=$t0
  while [ "$depth" -gt 0 ]; do
    sleep 0.5
    depth=$(metric wavegate_inbox_depth); t=$(now)
    if awk -v a="$t" -v b="$t0" 'BEGIN{exit !(a - b > 60)}'; then echo "gave up after 60 s, depth $depth"; break; fi
  done
  local processed cpu
  processed=$(( $(finished) - processed0 )); cpu=$(cpu_secs)
  awk -v d="$depth0" -v p="$processed" -v s="$(awk -v a="$t" -v b="$t0" 'BEGIN{print a-b}')" \
      -v c="$(awk -v a="$cpu" -v b="$cpu0" 'BEGIN{print a-b}')" 'BEGIN{
    printf "backlog %d: %d processed in %.1f s, %.0f deliveries/s; server CPU %.2f s, %.2f ms per processed delivery\n",
      d, p, s, p / s, c, 1000 * c / p }'
  echo "load: $(uptime | sed 's/.*load average/load average/')"
  stop_server
}

# under_intake starts a server on the backlog and sends 500/s for 30 s: the
# workers are never short of work, so what they finish is their rate.
under_intake() {
  start_server
  local depth0 processed0 cpu0 t0
  depth0=$(metric wavegate_inbox_depth); processed0=$(finished); cpu0=$(cpu_secs); t0=$(now)
  "$dir/loadgen" -url "$url" -secret "$secret" -rate 500 -concurrency 64 -duration 30s -repos "$1" | grep -E '^(throughput|ack)'
  local processed cpu t depth
  processed=$(( $(finished) - processed0 )); cpu=$(cpu_secs); t=$(now); depth=$(metric wavegate_inbox_depth)
  awk -v d="$depth0" -v e="$depth" -v p="$processed" -v s="$(awk -v a="$t" -v b="$t0" 'BEGIN{print a-b}')" \
      -v c="$(awk -v a="$cpu" -v b="$cpu0" 'BEGIN{print a-b}')" 'BEGIN{
    printf "backlog %d -> %d: %d processed in %.1f s, %.0f deliveries/s; server CPU %.2f s (intake and processing)\n",
      d, e, p, s, p / s, c }'
  echo "load: $(uptime | sed 's/.*load average/load average/')"
  stop_server
}

for repos in $repos_list; do
  echo "== $repos repositories: backlog drained with no intake"
  build_backlog "$repos"
  drain
  echo "== $repos repositories: backlog worked while intake holds 500/s for 30 s"
  build_backlog "$repos"
  under_intake "$repos"
  echo
done
