#!/usr/bin/python3
"""The learning experiment over seed replicates: the rule against back-propagation, paired.

    build/release/ebsim run configs/learn_digits.yaml -o runs/learn_seeds.h5 --set 'sweep={replicates: 10}'
    /usr/bin/python3 analysis/learning_replicates.py runs/learn_seeds.h5

Each replicate draws its own initial weights and example order; the rule and the back-propagation
baseline start from the same weights and see the same order, so their difference is paired. Prints
the final-epoch test and train accuracies of both and the paired difference (baseline - rule), each
as mean ± 95 % interval (n) over the replicates (Student t), and, for scale, the binomial standard
error of one accuracy on the test set.
"""
import argparse
import math
import pathlib
import sys

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis.stats import mean_ci  # noqa: E402


def fmt(v, scale=100.0, unit=" %"):
    m, h, n = mean_ci(v)
    digits = 2 if scale == 100.0 else 3
    return f"{scale * m:.{digits}f} ± {scale * h:.{digits}f}{unit} ({n})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("file")
    args = ap.parse_args()
    rule_test, rule_train, bp_test, bp_train, seeds, test_n = [], [], [], [], [], None
    align, batch, names, mean_field = [], [], [], []
    with h5py.File(args.file, "r") as f:
        if "sweep" not in f:
            sys.exit(f"{args.file}: no /sweep group: run the learning config with replicates")
        for key in sorted(f["sweep"], key=int):
            t = f["sweep"][key]["training"]
            if "baseline" not in t:
                sys.exit(f"{args.file}: /sweep/{key}/training has no baseline")
            rule_test.append(t["test_accuracy"][-1])
            rule_train.append(t["train_accuracy"][-1])
            bp_test.append(t["baseline/test_accuracy"][-1])
            bp_train.append(t["baseline/train_accuracy"][-1])
            seeds.append(int(f["sweep"][key].attrs["seed"]))
            if "mean_field_test_accuracy" in t:  # spiking: the same weights read out by the fixed point
                mean_field.append(t["mean_field_test_accuracy"][-1])
            test_n = len(t["test_labels"])
            if "alignment" in t and t["alignment"].shape[0] > 1:
                names = t["alignment"].attrs["projections"].split(",")
                align.append(t["alignment"][1])  # epoch 1
                if "batch_alignment" in t:
                    batch.append(t["batch_alignment"][1])
    diff = np.array(bp_test) - np.array(rule_test)
    p = float(np.mean(rule_test))
    print(f"{args.file}: {len(seeds)} replicates (seeds {seeds[0]}, ...), final epoch; mean ± 95 % interval (n)")
    print(f"  rule (Eq. 26)       test {fmt(rule_test)}   train {fmt(rule_train)}")
    print(f"  back-propagation    test {fmt(bp_test)}   train {fmt(bp_train)}")
    if mean_field:
        print(f"  rule's weights read out by the mean-field fixed point: test {fmt(mean_field)}; paired, mean field - "
              f"spiking readout: {fmt(np.array(mean_field) - np.array(rule_test), unit=' points')}")
    print(f"  paired difference (back-propagation - rule), test: {fmt(diff, unit=' points')}")
    print(f"  rule better in {int((diff < 0).sum())}, equal in {int((diff == 0).sum())}, worse in {int((diff > 0).sum())} "
          f"of {len(diff)} replicates")
    if align and np.isfinite(np.array(align, dtype=float)).any():
        a, b = np.array(align), np.array(batch)
        print("  epoch 1, cosine of the rule's update with -dC/dW, per example (mean over the alignment examples): "
              + "  ".join(f"{n} {fmt(a[:, m], 1, '')}" for m, n in enumerate(names)))
        if len(b):
            print("  epoch 1, cosine of the summed update with the summed -dC/dW over the same examples:          "
                  + "  ".join(f"{n} {fmt(b[:, m], 1, '')}" for m, n in enumerate(names)))
    print(f"  (one accuracy on {test_n} test images has a binomial standard error of "
          f"{100 * math.sqrt(p * (1 - p) / test_n):.2f} points)")


if __name__ == "__main__":
    main()
