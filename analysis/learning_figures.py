#!/usr/bin/env python3
"""Learning curves of the learning experiment, from its HDF5 files alone, and the table
of final accuracies (markdown, as in the README).

    /usr/bin/python3 analysis/learning_figures.py runs/learn_digits.h5 [--spiking runs/learn_digits_spiking.h5] -o docs/figures

It also checks each file against the data set it names: the test labels stored with the run are
those of the digits file at the stored test indices, and the final test accuracy is the fraction of
stored predictions that match them.
"""

import argparse
import gzip
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis import open_run  # noqa: E402


def load(path):
    with open_run(path) as run:
        t = run.training()
        t["engine"] = run.engine
    return t


def check_against_data(t):
    """Independent checks of a /training group against the data file it names. Returns the final
    test accuracy recomputed from the stored predictions."""
    data_path = t["attrs"]["data"]
    opener = gzip.open if data_path.endswith(".gz") else open
    with opener(data_path, "rt") as f:
        data = np.loadtxt(f, delimiter=",", ndmin=2)
    labels = data[:, -1].astype(int)
    test_idx = t["test_indices"].astype(int)
    if not np.array_equal(labels[test_idx], t["test_labels"].astype(int)):
        raise SystemExit(f"{data_path}: the run's test labels are not the file's labels at its test indices")
    if np.intersect1d(test_idx, t["train_indices"].astype(int)).size:
        raise SystemExit("the run's training and test sets overlap")
    acc = float(np.mean(t["test_predictions"].astype(int) == labels[test_idx]))
    if abs(acc - t["test_accuracy"][-1]) > 1e-12:
        raise SystemExit(f"final test accuracy {t['test_accuracy'][-1]} does not match the stored predictions ({acc})")
    return acc


def curves_figure(runs, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    colours = {"continuous": "C0", "spiking": "C2"}
    baseline_drawn = False
    for t in runs:
        epoch, c = t["epoch"], colours.get(t["engine"], "C3")
        label = f"rule, {t['engine']} engine"
        ax.plot(epoch, 100 * t["test_accuracy"], "o-", color=c, ms=3, label=f"{label}: test")
        if np.any(np.isfinite(t["train_accuracy"])):
            ok = np.isfinite(t["train_accuracy"])
            ax.plot(epoch[ok], 100 * t["train_accuracy"][ok], "x--", color=c, lw=1, ms=4, label=f"{label}: train")
        if "mean_field_test_accuracy" in t:
            ax.plot(epoch, 100 * t["mean_field_test_accuracy"], ":", color=c, lw=1.2,
                    label=f"{label}: test, read out by the mean-field fixed point")
        if "baseline/test_accuracy" in t and not baseline_drawn:
            ax.plot(epoch, 100 * t["baseline/test_accuracy"], "s-", color="C1", ms=3, label="back-propagation: test")
            ax.plot(epoch, 100 * t["baseline/train_accuracy"], "--", color="C1", lw=1, label="back-propagation: train")
            baseline_drawn = True
    ax.axhline(10, color="0.6", lw=0.6, ls=":")
    ax.set_xlabel("epoch (0: before training)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"8x8 digits, {int(runs[0]['attrs']['n_train'])} training / {int(runs[0]['attrs']['n_test'])} test images", fontsize=9)
    fig.tight_layout()
    out = pathlib.Path(outdir) / "learning_curves.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def table(runs):
    rows = ["| network | engine | epochs | training examples | train acc. | test acc. | examples/s |",
            "|---|---|---|---|---|---|---|"]
    for t in runs:
        epochs, n_train = len(t["epoch"]) - 1, int(t["attrs"]["n_train"])
        rows.append(f"| in-simulator rule (Eq. 26) | {t['engine']} | {epochs} | {n_train} | "
                    f"{100 * t['train_accuracy'][-1]:.2f} % | {100 * t['test_accuracy'][-1]:.2f} % | "
                    f"{np.nanmean(t['examples_per_s'][1:]):.0f} |")
        if "mean_field_test_accuracy" in t:
            rows.append(f"| the same weights, read out by the mean-field fixed point | continuous | | | | "
                        f"{100 * t['mean_field_test_accuracy'][-1]:.2f} % | |")
        if "baseline/test_accuracy" in t:
            rows.append(f"| back-propagation, same architecture | (ebsim) | {epochs} | {n_train} | "
                        f"{100 * t['baseline/train_accuracy'][-1]:.2f} % | {100 * t['baseline/test_accuracy'][-1]:.2f} % | |")
    return "\n".join(rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", help="a learning run (continuous engine), e.g. runs/learn_digits.h5")
    ap.add_argument("--spiking", help="a learning run of the spiking engine")
    ap.add_argument("-o", "--outdir", default="runs/figures")
    args = ap.parse_args(argv)
    runs = [load(args.run)] + ([load(args.spiking)] if args.spiking else [])
    for path, t in zip([args.run, args.spiking], runs):
        acc = check_against_data(t)
        print(f"{path}: test labels match {t['attrs']['data']}; final test accuracy from the stored predictions {100 * acc:.2f} %")
    pathlib.Path(args.outdir).mkdir(parents=True, exist_ok=True)
    print(table(runs))
    print(f"wrote {curves_figure(runs, args.outdir)}")


if __name__ == "__main__":
    main()
