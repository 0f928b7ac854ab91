#!/usr/bin/python3
"""The mean-field check on a large random network, unit by unit (configs/meanfield_random.yaml).

    /usr/bin/python3 analysis/meanfield_random.py runs/meanfield_random.h5

For each run of the sweep (tau = 10 and 100 ms, 6 networks each) it compares every unit's spiking rate, averaged over
the trials and over the bins after the first (the transient), with the continuous engine's
prediction for the same network: RMSE in Hz, Pearson correlation, the mean rate of both, and, for
scale, the RMSE that Poisson counting alone would give (sqrt(rate / (time x trials)) per unit).
Units are also split by where the prediction puts them: silent (rho = 0), saturated (rho = 1) or
inside.
"""
import argparse
import math
import pathlib
import sys

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis.stats import mean_ci  # noqa: E402


def fmt(values):
    m, half, n = mean_ci(values)
    return f"{m:.3g} (1)" if n < 2 else f"{m:.4g} ± {half:.2g} ({n})"


def compare(f, run):
    """One run's unit-by-unit comparison."""
    pop = next(iter(run["theory"]))
    spk = run[f"rates/{pop}/rate_hz"][()]  # bins x units, trial mean
    th = run[f"theory/{pop}/rate_hz"][()]  # bins x units
    trials = int(run.attrs.get("trials", f.attrs.get("trials", 1)))
    bin_s = float(np.diff(run[f"rates/{pop}/time"][()][:2])[0]) / 1000.0
    s, t = spk[1:].mean(axis=0), th[1:].mean(axis=0)
    seconds = bin_s * (spk.shape[0] - 1)
    top = t.max()
    out = {
        "mean_spiking": float(s.mean()),
        "mean_theory": float(t.mean()),
        "rmse": math.sqrt(np.mean((s - t) ** 2)),
        "counting": math.sqrt(np.mean(t / (seconds * trials))),
        "corr": float(np.corrcoef(s, t)[0, 1]),
    }
    groups = {"silent": t <= 1e-9, "inside": (t > 1e-9) & (t < top - 1e-6), "saturated": t >= top - 1e-6}
    for name, sel in groups.items():
        out[f"share_{name}"] = float(sel.mean())
        out[f"rmse_{name}"] = math.sqrt(np.mean((s[sel] - t[sel]) ** 2)) if sel.any() else math.nan
    ac = run[f"analysis/theory_check/{pop}"]
    out["state_bias"] = float(ac["state_bias_rmse"][()])
    out["state_noise"] = float(ac["state_noise_sd"][()])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("file")
    args = ap.parse_args()
    with h5py.File(args.file, "r") as f:
        if "sweep" not in f:
            sys.exit(f"{args.file}: no /sweep group: run configs/meanfield_random.yaml")
        by_point = {}
        for key in sorted(f["sweep"], key=int):
            run = f["sweep"][key]
            label = str(run.attrs.get("assignment", key))
            by_point.setdefault(label, []).append(compare(f, run))
    print(f"{args.file}: spiking rates against the mean-field prediction, unit by unit (the bins after the first),")
    print("  per network, then mean ± 95 % interval (n) over the networks (Student t)")
    rows = [("mean rate, spiking (Hz)", "mean_spiking"), ("mean rate, theory (Hz)", "mean_theory"),
            ("RMSE over units (Hz)", "rmse"), ("  of it, Poisson counting alone (Hz)", "counting"),
            ("correlation over units", "corr"),
            ("RMSE, units the theory silences (Hz)", "rmse_silent"), ("RMSE, units inside (Hz)", "rmse_inside"),
            ("RMSE, units the theory saturates (Hz)", "rmse_saturated"),
            ("share of units the theory silences", "share_silent"),
            ("share of units the theory saturates", "share_saturated"),
            ("state error: bias of the trial mean", "state_bias"), ("state error: trial-to-trial noise sd", "state_noise")]
    labels = list(by_point)
    print(f"  {'':40}" + "".join(f"{l:>28}" for l in labels))
    for name, key in rows:
        cells = [fmt([r[key] for r in by_point[l]]) for l in labels]
        print(f"  {name:40}" + "".join(f"{c:>28}" for c in cells))


if __name__ == "__main__":
    main()
