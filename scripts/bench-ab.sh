#!/usr/bin/env bash
# Compares an earlier commit with the working tree on the `compare`
# benchmark: builds its binary for each (the earlier commit in a temporary
# git worktree, into target/bench-ab-base: a target directory of its own,
# since the workspace's crates have the same artifact names at every
# commit and sharing one would mix them), runs the two binaries
# alternately, each run in a fresh process, and prints each benchmark's
# median per side. On this noisy virtual machine the host's slow windows
# last longer than one run, so only alternating runs make a before/after
# comparison hold; and a probe outside criterion can disagree with
# criterion on cache effects (it did on a write prefetch of recycled
# records), so decide with this.
#
#   scripts/bench-ab.sh <base rev> [runs (default 5)] [criterion filter]
#
# Needs git and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

base="${1:?usage: scripts/bench-ab.sh <base rev> [runs (default 5)] [criterion filter]}"
runs="${2:-5}"
filter="${3:-}"
command -v python3 >/dev/null || {
    echo "bench-ab: python3 is needed to read cargo's and criterion's JSON (apt-get install python3)" >&2
    exit 1
}
git rev-parse --verify --quiet "$base^{commit}" >/dev/null || {
    echo "bench-ab: '$base' is not a commit here" >&2
    exit 1
}

out="$(mktemp -d)"
tree="$out/base-tree"
cleanup() {
    git worktree remove --force "$tree" >/dev/null 2>&1 || true
    rm -rf "$out"
}
trap cleanup EXIT

# Builds the compare benchmark in directory $1 into target directory $2 and
# copies its binary to $3.
build() {
    local executable
    executable="$(cd "$1" && CARGO_TARGET_DIR="$2" cargo bench -p spanlite-benches \
        --bench compare --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("reason") == "compiler-artifact" and message["target"]["name"] == "compare" and message.get("executable"):
        print(message["executable"])
')"
    [ -n "$executable" ] || {
        echo "bench-ab: no compare benchmark built in $1 (run cargo bench -p spanlite-benches --bench compare --no-run there to see why)" >&2
        exit 1
    }
    cp "$executable" "$3"
}

echo "building the working tree" >&2
build "$PWD" "$PWD/target" "$out/head"
echo "building $base" >&2
git worktree add --quiet --detach "$tree" "$base"
build "$tree" "$PWD/target/bench-ab-base" "$out/base"

for run in $(seq 1 "$runs"); do
    for side in base head; do
        echo "run $run of $runs: $side" >&2
        # A group the filter leaves out must not count with an earlier run's numbers.
        find target/criterion -path '*/new/estimates.json' -delete 2>/dev/null || true
        "$out/$side" --bench $filter >/dev/null 2>&1
        python3 scripts/criterion_medians.py "$out/$side.$run.json"
    done
done

python3 - "$out" "$runs" "$base" <<'EOF'
import json, statistics, sys
sys.path.insert(0, "scripts")
from criterion_medians import shown
out, runs, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sides = {side: [json.load(open(f"{out}/{side}.{i}.json")) for i in range(1, runs + 1)] for side in ("base", "head")}

names = sorted(set().union(*sides["base"], *sides["head"]))
print(f"{'benchmark (median of ' + str(runs) + ' alternating runs)':50} {base[:12]:>12} {'working tree':>14} {'change':>8}")
for name in names:
    medians = {}
    for side, results in sides.items():
        times = [r[name] for r in results if name in r]
        medians[side] = statistics.median(times) if times else None
    cells = [shown(medians[s]) if medians[s] is not None else "-" for s in ("base", "head")]
    change = ""
    if medians["base"] and medians["head"]:
        change = f"{100 * (medians['head'] / medians['base'] - 1):+.0f} %"
    print(f"{name:50} {cells[0]:>12} {cells[1]:>14} {change:>8}")
EOF
