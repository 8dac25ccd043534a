#!/usr/bin/env bash
# Builds the Go peer (conformance/gopeer: the official OpenTelemetry Go SDK
# with otelhttp) into a cache keyed by the hash of its sources, reuses it
# when present, and prints its path on stdout.
#
#   ${SPANLITE_CACHE:-$HOME/.cache/spanlite}/gopeer-<hash>/gopeer
#
# The hash covers go.mod, go.sum and main.go, so any change to the peer or
# to a pinned version builds a new binary. go.sum pins every module, and
# -mod=readonly makes the build fail rather than silently resolve something
# else.
#
# Everything except the final path goes to stderr, so callers can capture
# stdout as the path.
set -euo pipefail

# No external command before the `go` check, so a bare PATH reaches it.
script_dir="${BASH_SOURCE[0]%/*}"
[ "$script_dir" = "${BASH_SOURCE[0]}" ] && script_dir=.
here="$(cd "$script_dir/.." && pwd)"
module_dir="$here/gopeer"
sources=(go.mod go.sum main.go)

if ! command -v go >/dev/null 2>&1; then
    echo "build-gopeer: 'go' is not on PATH; install Go >= 1.23 (https://go.dev/dl/) and retry" >&2
    exit 2
fi

if command -v sha256sum >/dev/null 2>&1; then
    sha256() { sha256sum; }
elif command -v shasum >/dev/null 2>&1; then
    sha256() { shasum -a 256; }
else
    echo "build-gopeer: neither 'sha256sum' nor 'shasum' is on PATH; install coreutils" >&2
    exit 2
fi

# File names go into the hash too, so moving text between files changes it.
hash="$(
    cd "$module_dir"
    for file in "${sources[@]}"; do
        printf '%s\n' "$file"
        cat "$file"
    done | sha256
)"
hash="${hash:0:16}"

cache_root="${SPANLITE_CACHE:-$HOME/.cache/spanlite}"
out_dir="$cache_root/gopeer-$hash"
binary="$out_dir/gopeer"

if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
fi

mkdir -p "$out_dir"
# Build to a private name and rename, so a concurrent run never sees (or
# executes) a half-written binary.
partial="$(mktemp "$out_dir/gopeer.partial.XXXXXX")"
trap 'rm -f "$partial"' EXIT

echo "build-gopeer: building $module_dir into $binary" >&2
started=$SECONDS
(
    cd "$module_dir"
    GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
        go build -trimpath -o "$partial" .
) >&2
chmod +x "$partial"
mv -f "$partial" "$binary"
trap - EXIT
echo "build-gopeer: built in $((SECONDS - started)) s" >&2

echo "$binary"
