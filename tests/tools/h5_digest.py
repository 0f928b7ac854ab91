#!/usr/bin/env python3
"""Digest of every dataset and attribute in an ebsim HDF5 file, for proving that a change kept
results bit-identical.

    h5_digest.py FILE.h5 [--out DIGEST.txt]          one line per object: path, dtype, shape, sha256
    h5_digest.py --compare A.txt B.txt                  exit 1 and list the differences

Wall-clock provenance (elapsed seconds, throughput, the command line, the build's revision) is
listed but not hashed: it differs between any two runs of the same binary.
"""
import argparse
import hashlib
import sys

import h5py
import numpy as np

# Names (last path component, or attribute name) whose values are wall-clock or provenance.
VOLATILE = {
    "examples_per_s",
    "command_line", "git_revision", "version", "wall_s",
}


def value_digest(value):
    if isinstance(value, (bytes, str)):
        data = value.encode() if isinstance(value, str) else value
        return hashlib.sha256(data).hexdigest()
    arr = np.asarray(value)
    if arr.dtype.kind == "O":
        data = b"\0".join(v.encode() if isinstance(v, str) else bytes(v) for v in arr.ravel())
        return hashlib.sha256(data).hexdigest()
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()


def digest(path):
    lines = []

    def attrs(obj, name):
        for key in sorted(obj.attrs):
            val = obj.attrs[key]
            h = "volatile" if key in VOLATILE else value_digest(val)
            lines.append(f"{name}@{key}\t{h}")

    def visit(name, obj):
        last = name.rsplit("/", 1)[-1]
        if isinstance(obj, h5py.Dataset):
            h = "volatile" if last in VOLATILE else value_digest(obj[()])
            lines.append(f"/{name}\t{obj.dtype}\t{obj.shape}\t{h}")
        else:
            lines.append(f"/{name}/")
        attrs(obj, "/" + name)

    with h5py.File(path, "r") as f:
        attrs(f, "/")
        f.visititems(visit)
    return sorted(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?")
    ap.add_argument("--out")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"))
    args = ap.parse_args()
    if args.compare:
        a, b = (open(p).read().splitlines() for p in args.compare)
        only_a = sorted(set(a) - set(b))
        only_b = sorted(set(b) - set(a))
        for line in only_a:
            print("-", line)
        for line in only_b:
            print("+", line)
        print(f"{len(a)} vs {len(b)} objects, {len(only_a) + len(only_b)} lines differ")
        return 1 if only_a or only_b else 0
    if not args.file:
        ap.error("FILE or --compare A B")
    text = "\n".join(digest(args.file)) + "\n"
    if args.out:
        open(args.out, "w").write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
