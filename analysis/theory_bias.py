#!/usr/bin/python3
"""Where the theory check's trial-averaged error comes from: units on a boundary or inside.

    /usr/bin/python3 analysis/theory_bias.py runs/theory_check.h5          # one network, 4 r_max
    /usr/bin/python3 analysis/theory_bias.py runs/theory_check_grid.h5     # r_max x tau, 8 networks

For each run of a theory-check sweep (configs/theory_check.yaml) it splits the trial-averaged state
error into the bias that averaging keeps and the trial-to-trial noise (per unit and bin:
(mean - theory)^2 = bias^2 + variance / trials, the variance with n - 1), as ebsim stores it under
/analysis/theory_check, and splits the bias again by where the mean-field prediction puts the unit
in that bin: on a boundary (its bin-averaged state within 1e-9 of beta1 or beta2) or inside.

The explanation it tests: with a piecewise-linear rho the mean-field dynamics are linear inside, so
the spiking mean follows them there and the bias comes from the units the mean field holds on a
boundary, where the spiking noise is cut on one side (a rectified fluctuation of size
sigma ~ (r_max tau)^(-1/2)). If so, the boundary cells carry the bias and their bias falls like
r_max^(-1/2), while inside cells have little bias.
"""
import argparse
import math
import pathlib
import sys

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis.stats import mean_ci  # noqa: E402


def beta1_of(config: str) -> float:
    for line in config.splitlines():
        if line.strip().startswith("beta1:"):
            return float(line.split(":", 1)[1])
    return -0.5


def split(pops, select):
    """RMS bias and RMS noise sd over the selected cells, the bias floored at 0 per population
    before pooling (as ebsim pools its /analysis/theory_check values: weighted by cells)."""
    bias_sum = noise_sum = 0.0
    cells = 0
    for single, theory, on_boundary in pops:
        sel = select(on_boundary)
        if not sel.any():
            continue
        trials = single.shape[0]
        mean = single.mean(axis=0)
        var = single.var(axis=0, ddof=1)
        bias2 = (mean - theory) ** 2 - var / trials
        n = int(sel.sum())
        bias_sum += n * max(bias2[sel].mean(), 0.0)
        noise_sum += n * var[sel].mean()
        cells += n
    if cells == 0:
        return math.nan, math.nan, 0
    return math.sqrt(bias_sum / cells), math.sqrt(noise_sum / cells), cells


def run_cells(run, b1, b2):
    """Per compared population: the single-trial bin states, the prediction, and which cells the
    prediction holds on a boundary."""
    pops = []
    for pop in run["theory"]:
        if pop not in run["analysis/theory_check"] or "mean_state_trials" not in run["rates"][pop]:
            continue  # clamped input: not compared
        single = run["rates"][pop]["mean_state_trials"][()]
        theory = run["theory"][pop]["mean_state"][()].reshape(-1)
        boundary = (np.abs(theory - b1) < 1e-9) | (np.abs(theory - b2) < 1e-9)
        pops.append((single.reshape(single.shape[0], -1), theory, boundary))
    return pops


def slope(x, y):
    ok = [(a, b) for a, b in zip(x, y) if a > 0 and b > 0 and np.isfinite(b)]
    if len(ok) < 2:
        return math.nan
    a, b = zip(*ok)
    return float(np.polyfit(np.log(a), np.log(b), 1)[0])


def grid(f, path):
    """configs/theory_check_grid.yaml: per network (replicate r shares its seed across points), the
    slope of each pooled error against r_max at each tau, as mean ± 95 % interval (n); and which
    variable the grid's means collapse on, r_max or r_max tau."""
    def ci(values, digits=3):
        m, half, n = mean_ci(values)
        return f"{m:.{digits}f} ± {half:.{digits}f} ({n})"

    keys = f["analysis/sweep"].attrs["keys"].split("\n")
    r_all = f[f"analysis/sweep/values/{keys[0]}"][()]
    tau_all = f[f"analysis/sweep/values/{keys[1]}"][()]
    reps = int(f["analysis/sweep"].attrs["replicates"])
    unconverged = f["analysis/sweep/unconverged"][()]
    pops = sorted(f["sweep/0/analysis/theory_check"])
    sizes = {p: f[f"sweep/0/populations/{p}/bias"].shape[0] for p in pops}

    def pooled(k, q):
        v = {p: float(f[f"sweep/{k}/analysis/theory_check/{p}/{q}"][()]) for p in pops}
        return math.sqrt(sum(sizes[p] * v[p] ** 2 for p in pops) / sum(sizes.values()))

    print(f"{path}: {len(r_all)} points x {reps} replicates; runs not converged: {int(unconverged.sum())}")
    print(f"  slope against r_max, fitted per network, pooled over {', '.join(pops)}: mean ± 95 % half-width (n)")
    for q in ("state_rmse_single_trial", "state_noise_sd", "state_bias_rmse", "state_rmse"):
        row = []
        for tau in sorted(set(tau_all)):
            pts = [p for p in range(len(r_all)) if tau_all[p] == tau]
            slopes = [slope([r_all[p] for p in pts], [pooled(p * reps + rep, q) for p in pts]) for rep in range(reps)]
            row.append(f"tau {tau:g} ms: {ci(slopes)}")
        print(f"    {q:24} " + "   ".join(row))
    print("  the bias's local slope between neighbouring r_max, per network (does it steepen?):")
    for tau in sorted(set(tau_all)):
        pts = sorted((p for p in range(len(r_all)) if tau_all[p] == tau), key=lambda p: r_all[p])
        steps = []
        for a, b in zip(pts, pts[1:]):
            local = [slope([r_all[a], r_all[b]], [pooled(a * reps + rep, "state_bias_rmse"),
                                                  pooled(b * reps + rep, "state_bias_rmse")]) for rep in range(reps)]
            steps.append(f"{r_all[a]:g}->{r_all[b]:g} Hz {ci(local)}")
        print(f"    tau {tau:g} ms: " + ", ".join(steps))
    b1 = beta1_of(f["config"][()].decode())
    print("  bias of the trial mean on cells the mean field holds on a boundary vs inside it, per network:")
    for pt in range(len(r_all)):
        split_b, split_i, share = [], [], []
        for rep in range(reps):
            run_pops = run_cells(f[f"sweep/{pt * reps + rep}"], b1, b1 + 1.0)
            b, _, nb = split(run_pops, lambda m: m)
            i, _, ni = split(run_pops, lambda m: ~m)
            split_b.append(b)
            split_i.append(i)
            share.append(nb / (nb + ni))
        print(f"    r_max {r_all[pt]:6.0f} Hz, tau {tau_all[pt]:3.0f} ms: boundary {ci(split_b, 4)}, "
              f"inside {ci(split_i, 4)}, boundary share of cells {ci(share, 2)}")
    print("  log-log residual sd of the grid's means (per population) against r_max and against r_max tau:")
    for p in pops:
        for q in ("state_bias_rmse", "state_noise_sd"):
            m = f[f"analysis/sweep/stats/analysis/theory_check/{p}/{q}/mean"][()]
            res = []
            for x in (r_all, r_all * tau_all):
                c = np.polyfit(np.log(x), np.log(m), 1)
                res.append(float(np.std(np.log(m) - np.polyval(c, np.log(x)))))
            print(f"    {p:4} {q:16} against r_max {res[0]:.3f}, against r_max tau {res[1]:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("file")
    args = ap.parse_args()
    rows = []
    with h5py.File(args.file, "r") as f:
        if "sweep" not in f:
            sys.exit(f"{args.file}: no /sweep group: run configs/theory_check.yaml")
        if "stats" in f["analysis/sweep"]:
            grid(f, args.file)
            return
        b1 = beta1_of(f["config"][()].decode())
        b2 = b1 + 1.0
        for key in sorted(f["sweep"], key=int):
            run = f["sweep"][key]
            r_max = float(str(run.attrs.get("value", "nan")).split()[0])
            pops = run_cells(run, b1, b2)
            row = {"r_max": r_max, "trials": pops[0][0].shape[0]}
            for name, select in (("all", lambda b: np.ones_like(b)), ("boundary", lambda b: b),
                                 ("inside", lambda b: ~b)):
                row[name] = split(pops, select)
            rows.append(row)
    print(f"{args.file}: state error against the mean field, trial-averaged, split by where the mean field puts "
          f"the unit (cells = bins x units)")
    print(f"  {'r_max Hz':>9} {'trials':>6}  {'bias (all)':>10} {'noise sd':>9}   {'bias boundary':>13} "
          f"{'noise sd':>9} {'cells':>6}   {'bias inside':>11} {'noise sd':>9} {'cells':>6}")
    for r in rows:
        a, b, i = r["all"], r["boundary"], r["inside"]
        print(f"  {r['r_max']:9.0f} {r['trials']:6d}  {a[0]:10.4g} {a[1]:9.4g}   {b[0]:13.4g} {b[1]:9.4g} {b[2]:6d}   "
              f"{i[0]:11.4g} {i[1]:9.4g} {i[2]:6d}")
    x = [r["r_max"] for r in rows]
    print("  log-log slopes against r_max: "
          + ", ".join(f"{name} bias {slope(x, [r[name][0] for r in rows]):.3f} noise {slope(x, [r[name][1] for r in rows]):.3f}"
                      for name in ("all", "boundary", "inside")))
    print("  (one seed, one network: the trials are the replicates of the noise; the cells are not independent)")


if __name__ == "__main__":
    main()
