#!/usr/bin/env python3
"""Re-derive the back-propagated errors of a backprop-equivalence run independently (numpy) and
draw its figures.

    /usr/bin/python3 analysis/backprop_figures.py runs/backprop_equivalence.h5 -o docs/figures
"""

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis import open_run  # noqa: E402
from ebsim_analysis.backprop import figures, rederive_deltas, stored_deltas  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="an ebsim output file of configs/backprop_equivalence.yaml")
    parser.add_argument("-o", "--outdir", default="runs/figures", help="where to write the PNG files")
    args = parser.parse_args()
    with open_run(args.file) as run:
        ours, theirs = rederive_deltas(run), stored_deltas(run)
        for layer in theirs:
            diff = np.max(np.abs(ours[layer] - theirs[layer]))
            print(f"delta_{layer}: numpy re-derivation vs ebsim, max |difference| = {diff:.3e}")
        for path in figures(run, args.outdir):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
