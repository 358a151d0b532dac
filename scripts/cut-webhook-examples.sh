#!/usr/bin/env bash
# Regenerates internal/fakes/githubfake/webhooks/examples/all.json.gz: every real
# example webhook payload, of every event GitHub documents, from the pinned
# @octokit/webhooks-examples package, compact and gzipped (about 90 KB for
# 329 payloads). Run from the repository root; needs go, npm and tar. Safe to
# re-run: the same package gives the same bytes.
set -euo pipefail

readonly pkg='@octokit/webhooks-examples'
readonly version='7.6.1'
readonly dir='internal/fakes/githubfake/webhooks'

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
	-source "$pkg@$version (api.github.com/index.json)"

echo "cut-webhook-examples: wrote $(wc -c <"$dir/examples/all.json.gz") bytes into $dir/examples/all.json.gz"
