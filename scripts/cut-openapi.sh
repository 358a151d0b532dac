#!/usr/bin/env bash
# Regenerates internal/fakes/githubfake/openapi/subset.json, the part of GitHub's
# official REST description the fake GitHub server serves, from the pinned
# @octokit/openapi package and internal/fakes/githubfake/openapi/operations.txt.
# Run from the repository root; needs go, npm and tar. Safe to re-run.
set -euo pipefail

readonly pkg='@octokit/openapi'
readonly version='23.0.2'
readonly dir='internal/fakes/githubfake/openapi'

if [[ ! -f go.mod || ! -d "$dir" ]]; then
	echo "cut-openapi: run from the repository root" >&2
	exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# npm pack fetches the tarball without installing anything or touching the repo.
tarball="$(cd "$tmp" && npm pack --silent "$pkg@$version" | tail -n 1)"
tar -xzf "$tmp/$tarball" -C "$tmp"

go run "./$dir/cmd/cutopenapi" \
	-in "$tmp/package/generated/api.github.com.json" \
	-ops "$dir/operations.txt" \
	-out "$dir/subset.json" \
	-source "$pkg@$version (generated/api.github.com.json)"

echo "cut-openapi: wrote $dir/subset.json ($(wc -c <"$dir/subset.json") bytes)"
