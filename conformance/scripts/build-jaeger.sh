#!/usr/bin/env bash
# Builds the Jaeger v2 binary pinned by conformance/jaeger/go.mod into a cache
# keyed by version, reuses it when present, and prints its path on stdout.
#
#   ${SPANLITE_CACHE:-$HOME/.cache/spanlite}/jaeger-<version>/jaeger
#
# Jaeger is pinned as a Go tool dependency of our own module rather than built
# with `go install ...@version`, because `go install pkg@version` refuses the
# `replace` directive in Jaeger's go.mod (jaegertracing/jaeger#7310). go.sum
# pins every module, and -mod=readonly makes the build fail rather than
# silently resolve something else.
#
# Everything except the final path goes to stderr, so callers can capture
# stdout as the path.
set -euo pipefail

# No external command before the `go` check, so a bare PATH reaches it.
script_dir="${BASH_SOURCE[0]%/*}"
[ "$script_dir" = "${BASH_SOURCE[0]}" ] && script_dir=.
here="$(cd "$script_dir/.." && pwd)"
module_dir="$here/jaeger"
package="github.com/jaegertracing/jaeger/cmd/jaeger"

if ! command -v go >/dev/null 2>&1; then
    echo "build-jaeger: 'go' is not on PATH; install Go >= 1.24.6 (https://go.dev/dl/) and retry" >&2
    exit 2
fi

version="$(awk '$1 == "github.com/jaegertracing/jaeger" { print $2; exit }' "$module_dir/go.mod")"
if [ -z "$version" ]; then
    echo "build-jaeger: no github.com/jaegertracing/jaeger requirement in $module_dir/go.mod" >&2
    exit 2
fi

cache_root="${SPANLITE_CACHE:-$HOME/.cache/spanlite}"
out_dir="$cache_root/jaeger-$version"
binary="$out_dir/jaeger"

if [ -x "$binary" ]; then
    echo "$binary"
    exit 0
fi

mkdir -p "$out_dir"
# Build to a private name and rename, so a concurrent run never sees (or
# executes) a half-written binary.
partial="$(mktemp "$out_dir/jaeger.partial.XXXXXX")"
trap 'rm -f "$partial"' EXIT

echo "build-jaeger: building $package@$version into $binary (takes minutes the first time)" >&2
started=$SECONDS
(
    cd "$module_dir"
    GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 \
        go build -trimpath -o "$partial" "$package"
) >&2
chmod +x "$partial"
mv -f "$partial" "$binary"
trap - EXIT
echo "build-jaeger: built in $((SECONDS - started)) s" >&2

echo "$binary"
