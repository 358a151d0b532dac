#!/usr/bin/env bash
# Regenerates internal/githubfake/webhooks/examples/<event>.json, real example
# webhook payloads for the events Wavegate receives, from the pinned
# @octokit/webhooks-examples package. Run from the repository root; needs go,
# npm and tar. Safe to re-run.
set -euo pipefail

readonly pkg='@octokit/webhooks-examples'
readonly version='7.6.1'
readonly dir='internal/githubfake/webhooks'

# deployment_protection_rule is received too, but 7.6.1 (the latest release)
# has no example of it; cutexamples fails on an event without examples.
readonly events=(
	check_run
	check_suite
	deployment
	deployment_status
	installation
	installation_repositories
	issue_comment
	ping
	pull_request
	pull_request_review
	push
)

if [[ ! -f go.mod || ! -d "$dir" ]]; then
	echo "cut-webhook-examples: run from the repository root" >&2
	exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

tarball="$(cd "$tmp" && npm pack --silent "$pkg@$version" | tail -n 1)"
tar -xzf "$tmp/$tarball" -C "$tmp"

go run "./$dir/cmd/cutexamples" \
	-in "$tmp/package/api.github.com/index.json" \
	-out "$dir/examples" \
	-events "$(IFS=,; echo "${events[*]}")" \
	-source "$pkg@$version (api.github.com/index.json)"

echo "cut-webhook-examples: wrote $(du -cb "$dir"/examples/*.json | tail -n 1 | cut -f 1) bytes into $dir/examples"
