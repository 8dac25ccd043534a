"""Criterion's results for the bench scripts (bench-ratios.sh, bench-ab.sh).

    python3 scripts/criterion_medians.py OUT.json

writes each benchmark's median (ns) from the last run, keyed
"group/function", read from target/criterion/<group>/<function>/new/.
The scripts import `shown` to print times.
"""

import json
import os
import sys

RESULTS = "target/criterion"


def medians(root=RESULTS):
    """The median of every benchmark the last run measured."""
    found = {}
    for group in os.listdir(root):
        path = os.path.join(root, group)
        for function in os.listdir(path):
            estimates = os.path.join(path, function, "new", "estimates.json")
            if os.path.exists(estimates):
                with open(estimates) as f:
                    found[f"{group}/{function}"] = json.load(f)["median"]["point_estimate"]
    return found


def shown(ns):
    """A time in ns, in the unit that reads best."""
    for unit, scale in (("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


if __name__ == "__main__":
    with open(sys.argv[1], "w") as out:
        json.dump(medians(), out)
