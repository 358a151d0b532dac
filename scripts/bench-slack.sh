#!/usr/bin/env bash
# Slack command benchmark: a Wavegate on loopback with a fresh SQLite
# database and a Slack signing secret, sent signed /deploy slash commands by
# internal/cmd/slackload from a second process. Prints the figures recorded
# in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-3918}
secret=bench-signing-secret
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT

go build -o "$dir/wavegate" ./cmd/wavegate
go build -o "$dir/slackload" ./internal/cmd/slackload
server=

start_server() {
  rm -rf "$dir/data"
  WAVEGATE_SLACK_SIGNING_SECRET="$secret" "$dir/wavegate" serve --listen "127.0.0.1:$port" --data-dir "$dir/data" \
    --log-level error --log-format json 2>>"$dir/server.log" &
  server=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not become ready" >&2; cat "$dir/server.log" >&2; exit 1
}

stop_server() {
  echo "-- server after the run:"
  curl -fs "http://127.0.0.1:$port/metrics" | grep -E '^wavegate_(slack_requests_received_total|inbox_depth)' || true
  kill "$server"; wait "$server" || true
}

runs=${RUNS:-3}
rate=${RATE:-50}
for i in $(seq "$runs"); do
  echo "== Slack command acknowledgement at $rate commands/s (open loop, 30 s), run $i of $runs"
  start_server
  "$dir/slackload" -url "http://127.0.0.1:$port/slack/commands" -secret "$secret" -rate "$rate" -duration 30s
  stop_server
  echo
done
