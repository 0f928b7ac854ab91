#!/usr/bin/env python3
"""Checks that ebsim's bands include only downwards (docs/ARCHITECTURE.md):

    models <- sim/core <- sim/io <- sim/run <- sim/experiments <- sim/cli

and that no file under models/ or sim/ is over 450 lines unless its header comment says it is one
concept. Prints every violation and exits 1 if there is any."""
import pathlib
import re
import sys

BANDS = ["models", "sim/core", "sim/io", "sim/run", "sim/experiments", "sim/cli"]
LIMIT = 450


def band(path):
    for k in range(len(BANDS) - 1, -1, -1):
        if str(path).startswith(BANDS[k] + "/"):
            return k
    return None


def main(root):
    root = pathlib.Path(root)
    problems = []
    files = sorted(p for b in ("models", "sim") for p in (root / b).rglob("*") if p.suffix in (".hpp", ".cpp"))
    for f in files:
        rel = f.relative_to(root)
        own = band(rel)
        text = f.read_text()
        for n, line in enumerate(text.splitlines(), 1):
            m = re.match(r'\s*#include\s+"([^"]+)"', line)
            if not m:
                continue
            other = band(pathlib.PurePath(m.group(1)))
            if other is not None and other > own:
                problems.append(f"{rel}:{n}: {BANDS[own]} includes {m.group(1)} ({BANDS[other]}, a band above)")
        lines = text.count("\n")
        if lines > LIMIT and "one concept" not in "\n".join(text.splitlines()[:15]).lower():
            problems.append(f"{rel}: {lines} lines, over {LIMIT}, and its header does not say it is one concept")
    for p in problems:
        print(p)
    print(f"{len(files)} files checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]))
