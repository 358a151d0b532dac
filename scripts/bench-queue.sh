#!/usr/bin/env bash
# Queue processing benchmark: how fast the workers work off no-op deliveries,
# alone and while intake holds 500/s. A backlog is stored with the server
# stopped (build_backlog); a fresh server on that database is then timed
# until wavegate_inbox_depth reads 0, or loaded at 500/s for 30 s. Prints the figures recorded in BENCHMARKS.md
# ("Queue processing"). Needs sqlite3 (the command-line shell).
#
# ACTION=closed (the default) sends pull_request "closed" deliveries, which
# no handler takes: each is done at once without its payload being parsed.
# ACTION=synchronize sends deliveries the review gate takes; with no GitHub
# App configured it refuses each at once and it ends dead. REPOS lists the
# repository counts to run; BACKLOG is the backlog's size (default 10000).
# BIN=path runs that wavegate binary instead of building this checkout's.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-3918}
secret=bench-secret
repos_list=${REPOS:-"1 100"}
backlog=${BACKLOG:-10000}
action=${ACTION:-closed}
dir=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT

if [ -n "${BIN:-}" ]; then cp "$BIN" "$dir/wavegate"; else go build -o "$dir/wavegate" ./cmd/wavegate; fi
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

# build_backlog leaves a stopped server's database with a backlog of
# BACKLOG pending deliveries over $1 repositories. The workers keep up with
# any intake loadgen can offer here, so the backlog is not built by
# outrunning them: a 1 s burst stores real deliveries, then sqlite3 copies
# the last of them as new pending rows, payload and all, each repository's
# first unfinished row recorded as its head (migrations 00002 and 00008).
build_backlog() {
  rm -rf "$dir/data"
  start_server
  "$dir/loadgen" -url "$url" -secret "$secret" -concurrency 64 -duration 1s -repos "$1" -action "$action" | grep -E '^throughput'
  stop_server
  sqlite3 "$dir/data/wavegate.db" <<SQL
PRAGMA foreign_keys = ON;
BEGIN;
CREATE TEMP TABLE template AS SELECT * FROM inbox ORDER BY seq DESC LIMIT 1;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $backlog)
INSERT INTO inbox (delivery_id, event, action, installation_id, repository, received_at,
                   state, attempts, next_attempt_at, last_error)
SELECT 'backlog-' || n.i, t.event, t.action, t.installation_id, 'acme/svc-' || (n.i % $1),
       t.received_at, 'pending', 0, t.received_at, ''
FROM n, template t;
INSERT INTO inbox_payloads (seq, payload)
SELECT i.seq, (SELECT p.payload FROM inbox_payloads p JOIN template t ON p.seq = t.seq)
FROM inbox i WHERE i.delivery_id LIKE 'backlog-%';
INSERT OR IGNORE INTO inbox_heads (repository, seq)
SELECT repository, MIN(seq) FROM inbox WHERE state IN ('pending', 'processing') GROUP BY repository;
COMMIT;
SQL
}

elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN{print a - b}'; }

# drain starts a server on the backlog and times it down to depth 0,
# sampling every 0.2 s.
drain() {
  start_server
  local depth0 processed0 cpu0 t0
  depth0=$(metric wavegate_inbox_depth); processed0=$(finished)
  cpu0=$(cpu_secs); t0=$(now)
  local depth=$depth0 s=0
  while [ "$depth" -gt 0 ]; do
    sleep 0.2
    depth=$(metric wavegate_inbox_depth); s=$(elapsed "$t0")
    if awk -v s="$s" 'BEGIN{exit !(s > 60)}'; then echo "gave up after 60 s, depth $depth"; break; fi
  done
  local processed cpu
  processed=$(( $(finished) - processed0 )); cpu=$(cpu_secs)
  awk -v d="$depth0" -v p="$processed" -v s="$s" -v c="$(awk -v a="$cpu" -v b="$cpu0" 'BEGIN{print a-b}')" 'BEGIN{
    printf "backlog %d: %d processed in %.1f s, %.0f deliveries/s (10,000 in %.1f s); server CPU %.2f s, %.3f ms per processed delivery\n",
      d, p, s, p / s, 10000 * s / p, c, 1000 * c / p }'
  echo "load: $(uptime | sed 's/.*load average/load average/')"
  stop_server
}

# under_intake starts a server on the backlog and sends 500/s for 30 s. The
# workers' rate is what they finish while the backlog lasts: until the depth
# first falls under 100, when they are short of work (sampled every 0.2 s).
under_intake() {
  start_server
  local depth0 processed0 cpu0 t0
  depth0=$(metric wavegate_inbox_depth); processed0=$(finished); cpu0=$(cpu_secs); t0=$(now)
  "$dir/loadgen" -url "$url" -secret "$secret" -rate 500 -concurrency 64 -duration 30s -repos "$1" -action "$action" \
    | grep -E '^(throughput|ack)' &
  local gen=$! depth=$depth0 caught= s
  while kill -0 "$gen" 2>/dev/null; do
    sleep 0.2
    depth=$(metric wavegate_inbox_depth)
    if [ -z "$caught" ] && [ "$depth" -lt 100 ]; then
      s=$(elapsed "$t0"); caught="$s $(( $(finished) - processed0 ))"
    fi
  done
  wait "$gen"
  local processed cpu
  processed=$(( $(finished) - processed0 )); cpu=$(cpu_secs); s=$(elapsed "$t0"); depth=$(metric wavegate_inbox_depth)
  if [ -n "$caught" ]; then
    read -r cs cp <<<"$caught"
    awk -v d="$depth0" -v s="$cs" -v p="$cp" 'BEGIN{
      printf "backlog %d worked off under intake in %.1f s: %d processed, %.0f deliveries/s\n", d, s, p, p / s }'
  else
    echo "backlog $depth0 not worked off under intake in 30 s"
  fi
  awk -v d="$depth" -v p="$processed" -v s="$s" -v c="$(awk -v a="$cpu" -v b="$cpu0" 'BEGIN{print a-b}')" 'BEGIN{
    printf "whole run: %d processed in %.1f s, depth after %d; server CPU %.2f s (intake and processing)\n", p, s, d, c }'
  echo "load: $(uptime | sed 's/.*load average/load average/')"
  stop_server
}

echo "pull_request deliveries with action $action; $(nproc) cores; $(uptime | sed 's/.*load average/load average/')"
for repos in $repos_list; do
  echo "== $repos repositories: backlog drained with no intake"
  build_backlog "$repos"
  drain
  echo "== $repos repositories: backlog worked while intake holds 500/s for 30 s"
  build_backlog "$repos"
  under_intake "$repos"
  echo
done
