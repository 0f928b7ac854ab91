#!/usr/bin/python3
"""The backprop-equivalence experiment over seed replicates, from one ebsim file.

    /usr/bin/python3 analysis/backprop_replicates.py runs/backprop_seeds.h5 [--json OUT]

Reads every run under /sweep/<k>/analysis/backprop (configs/backprop_seeds.yaml,
configs/backprop_saturated.yaml) and prints, per layer, each number as mean ± 95 % interval (n)
over the replicates (Student t with n - 1 degrees of freedom); the trials a noisy measurement needs
(paired and unpaired, per noisy engine) as a geometric mean with its interval, since they span
decades. Convergence is a gate: a run whose
fixed point did not converge is named and left out of every statistic, never averaged in.

It also tests the explanation of the saturated case: a unit held on a boundary has rho' = 0 in the
reference, but a finite nudge releases it when the change of its drive exceeds its margin (how far
the drive lies beyond the boundary, /analysis/backprop/margin). Per eps it counts the held units
that moved (released: Delta != 0 at their step), and checks the prediction that could fail: with
no held unit released in layers 0..k, layer k's cosine is 1 (to 1e-6). (Which units a nudge
releases depends on each one's drive change as well as its margin, so margins alone do not order
them.)
"""
import argparse
import json
import math
import pathlib
import sys

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis.stats import mean_ci  # noqa: E402


def fmt(values, digits=4):
    m, h, n = mean_ci(values)
    if n == 0:
        return "(none)"
    if n == 1:
        return f"{m:.{digits}f} (1)"
    return f"{m:.{digits}f} ± {h:.{digits}f} ({n})"


# Delta h_k is the difference of two states of order 1: below ~1e-10 its size is that of a few
# ulps accumulated over k + 1 steps, and its direction is round-off, not dynamics. Such (run, layer,
# eps) entries are left out (their n shows it).
ROUND_OFF = 1e-10


def resolved(r, k, e):
    layer = r["layers"][k]
    return r["eps"][e] ** (k + 1) * r["delta_norm"][layer] >= ROUND_OFF


def read_runs(path):
    runs = []
    with h5py.File(path, "r") as f:
        if "sweep" not in f:
            sys.exit(f"{path}: no /sweep group: run a config with replicates (configs/backprop_seeds.yaml)")
        for key in sorted(f["sweep"], key=int):
            run = f["sweep"][key]
            if "analysis/backprop" not in run:
                sys.exit(f"{path}: /sweep/{key} has no /analysis/backprop: not a backprop experiment")
            g = run["analysis/backprop"]
            layers = g.attrs["layers"].split(",")
            r = {
                "run": int(key),
                "seed": int(run.attrs["seed"]) if "seed" in run.attrs else None,
                "converged": bool(g.attrs["converged"]),
                "residual": float(g.attrs["residual"]),
                "layers": layers,
                "eps": g["discrete/eps"][()].tolist(),
                "cosine": {l: g[f"discrete/{l}/cosine"][()] for l in layers},
                "relative_error": {l: g[f"discrete/{l}/relative_error"][()] for l in layers},
                "norm": {l: g[f"discrete/{l}/norm"][()] for l in layers},
                "measured": {l: g[f"discrete/{l}/measured"][()] for l in layers},
                "delta_norm": {l: float(np.linalg.norm(g[f"delta/{l}"][()])) for l in layers},
                "held": {l: int(g[f"held/{l}"][()]) for l in layers},
                "margin": {l: g[f"margin/{l}"][()] for l in layers},
                # Held units the reference lets move (a nudged output whose target lies inside has
                # rho' = 1) are not released against it: only those with rho' = 0 count.
                "frozen": {l: np.isfinite(g[f"margin/{l}"][()]) & (g[f"rho_prime/{l}"][()] == 0.0) for l in layers},
                "spiking": {},
                "alignment": {},
            }
            if "spiking" in g:
                for i in sorted(g["spiking"], key=int):
                    s = g["spiking"][i]
                    r["spiking"][float(s.attrs["r_max_hz"])] = {
                        l: float(s[f"{l}/cosine_vs_branches"][-1]) for l in layers
                    }
            r["detectability"] = {}
            for kind, attr in (("spiking", "r_max_hz"), ("langevin", "sigma")):
                for i in sorted(g[kind], key=int) if kind in g else []:
                    s = g[kind][i]
                    if "paired" not in s[layers[0]]:
                        continue  # a file from before the detectability measurement
                    label = f"spiking {float(s.attrs[attr]):g} Hz" if kind == "spiking" else f"Langevin sigma {float(s.attrs[attr]):g}"
                    r["detectability"][label] = {
                        l: {d: (float(s[f"{l}/{d}/trials_needed"][()]), float(s[f"{l}/{d}/trials_at_least"][()]))
                            for d in ("paired", "unpaired")} for l in layers}
            if "weight_alignment" in g:
                for pair in g["weight_alignment"]:
                    r["alignment"][pair] = float(g[f"weight_alignment/{pair}/cosine"][()])
            runs.append(r)
    return runs


def trials_text(entries):
    """Trials needed over networks: the geometric mean with its 95 % interval (Student t on log10,
    finite estimates only, n), then how many networks need infinitely many (the mean response's own
    cosine is below 0.9) and how many did not resolve the mean (with the smallest lower bound)."""
    finite = [t for t, _ in entries if math.isfinite(t)]
    infinite = sum(1 for t, _ in entries if math.isinf(t))
    bounds = [b for t, b in entries if math.isnan(t)]
    parts = []
    if finite:
        m, h, n = mean_ci(np.log10(finite))
        parts.append(f"{10 ** m:.3g}" + (f" [{10 ** (m - h):.2g}, {10 ** (m + h):.2g}]" if n > 1 else "") + f" ({n})")
    if infinite:
        parts.append(f"inf ({infinite})")
    if bounds:
        parts.append(f">= {min(bounds):.2g}, not resolved ({len(bounds)})")
    return "; ".join(parts)


def geometric_mean_ci(values):
    """(geometric mean, low, high, n) of the finite values: Student t on log10."""
    finite = [v for v in values if math.isfinite(v)]
    m, h, n = mean_ci(np.log10(finite)) if finite else (math.nan, math.nan, 0)
    return 10 ** m, 10 ** (m - h), 10 ** (m + h), n


def detectability_figure(runs, path):
    """Trials needed against depth k, one colour per noisy engine, paired (solid) and unpaired
    (dashed): geometric means over networks with their 95 % intervals; where some network's mean
    was not resolved, the smallest lower bound (a triangle pointing up)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    layers = runs[0]["layers"]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, label in enumerate(runs[0]["detectability"]):
        colour = f"C{i}"
        for design, style in (("paired", "-"), ("unpaired", "--")):
            stats = [geometric_mean_ci([r["detectability"][label][l][design][0] for r in runs]) for l in layers]
            k = [j for j, st in enumerate(stats) if st[3] > 0]
            ax.errorbar(k, [stats[j][0] for j in k],
                        yerr=[[stats[j][0] - stats[j][1] for j in k], [stats[j][2] - stats[j][0] for j in k]],
                        color=colour, linestyle=style, marker="o", capsize=3, label=f"{label}, {design}")
            bounds = [(j, min(b for t, b in (r["detectability"][label][l][design] for r in runs) if math.isnan(t)))
                      for j, l in enumerate(layers)
                      if any(math.isnan(r["detectability"][label][l][design][0]) for r in runs)]
            if bounds:
                ax.plot([j for j, _ in bounds], [b for _, b in bounds], linestyle="none", marker="^", color=colour)
    ax.set_yscale("log")
    ax.set_xticks(range(len(layers)), [f"{l} (k={k})" for k, l in enumerate(layers)])
    ax.set_xlabel("layer (depth k from the nudged output)")
    ax.set_ylabel("trials for a cosine >= 0.9 with -delta_k")
    ax.set_title(f"Trials needed, {len(runs)} networks: paired (solid) vs unpaired (dashed)")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def worst(r, k):
    values = [c for e, c in enumerate(r["cosine"][r["layers"][k]]) if resolved(r, k, e)]
    return min(values) if values else math.nan


def largest_error(r, k):
    values = [x for e, x in enumerate(r["relative_error"][r["layers"][k]]) if resolved(r, k, e)]
    return max(values) if values else math.nan


def exponent(r, k):
    """The log-log slope of |Delta h_k| against eps over the resolved eps (theory: k + 1)."""
    use = [e for e in range(len(r["eps"])) if resolved(r, k, e) and r["norm"][r["layers"][k]][e] > 0]
    if len(use) < 2:
        return math.nan
    x = np.log([r["eps"][e] for e in use])
    y = np.log([r["norm"][r["layers"][k]][e] for e in use])
    return float(np.polyfit(x, y, 1)[0])


def release_analysis(runs):
    """Per layer and eps: released held units and the cosine-1 prediction."""
    layers, eps = runs[0]["layers"], runs[0]["eps"]
    out = {}
    for k, layer in enumerate(layers):
        for e, value in enumerate(eps):
            released_frac, no_release_bad, no_release_cases, released_cases = [], 0, 0, 0
            for r in runs:
                released_upto = 0
                for j in range(k + 1):
                    lj = layers[j]
                    released_upto += int(np.count_nonzero(r["frozen"][lj] & (r["measured"][lj][e] != 0.0)))
                held = r["frozen"][layer]
                moved = held & (r["measured"][layer][e] != 0.0)
                if held.any():
                    released_frac.append(moved.sum() / held.sum())
                if not resolved(r, k, e):
                    continue
                if released_upto == 0:
                    no_release_cases += 1
                    no_release_bad += int(r["cosine"][layer][e] < 1.0 - 1e-6)
                else:
                    released_cases += 1
            out[(layer, value)] = {
                "released_fraction": released_frac,
                "no_release_cases": no_release_cases,
                "no_release_cosine_below_1": no_release_bad,
                "runs_with_release": released_cases,
            }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("file")
    ap.add_argument("--json", help="also write the statistics to this JSON file")
    ap.add_argument("--figure", help="also draw the trials needed against depth into this PNG")
    args = ap.parse_args()
    all_runs = read_runs(args.file)
    runs = [r for r in all_runs if r["converged"]]
    left_out = [r for r in all_runs if not r["converged"]]
    print(f"{args.file}: {len(all_runs)} runs, {len(runs)} converged")
    for r in left_out:
        print(f"  run {r['run']} (seed {r['seed']}): fixed point NOT converged (residual {r['residual']:.3g}): left out")
    if not runs:
        sys.exit("no converged run: nothing to report")
    layers, eps = runs[0]["layers"], runs[0]["eps"]
    report = {"runs": len(all_runs), "converged": len(runs), "layers": {}}
    print("mean ± 95 % half-width (n) over converged replicates (Student t)")
    with_held = sum(1 for r in runs if any(r["held"][l] for l in layers))
    print(f"networks with a unit held on a boundary at the fixed point: {with_held} of {len(runs)}")
    print("discrete map: cosine of Delta h_k (step k+1) with -delta_{h_k}, per eps")
    print(f"  {'layer':6} {'held':>16}  {'smallest margin':>24}  " + "  ".join(f"eps={e:<22g}" for e in eps))
    for layer in layers:
        held = [r["held"][layer] for r in runs]
        margins = [np.nanmin(r["margin"][layer]) if np.isfinite(r["margin"][layer]).any() else math.nan for r in runs]
        k = layers.index(layer)
        cos = [[r["cosine"][layer][e] if resolved(r, k, e) else math.nan for r in runs] for e in range(len(eps))]
        print(f"  {layer:6} {fmt(held, 1):>16}  {fmt(margins, 5):>24}  " + "  ".join(f"{fmt(c, 4):<26}" for c in cos))
        report["layers"][layer] = {
            "held": mean_ci(held),
            "smallest_margin": mean_ci(margins),
            "cosine": {str(e): mean_ci(c) for e, c in zip(eps, cos)},
            "worst_cosine": mean_ci([worst(r, k) for r in runs]),
            "max_relative_error": mean_ci([largest_error(r, k) for r in runs]),
            "exponent": mean_ci([exponent(r, k) for r in runs]),
        }
    print(f"  (entries where eps^(k+1) |delta_k| < {ROUND_OFF:g} are round-off, not dynamics: left out of n)")
    print("  worst over eps: " + "  ".join(f"{l} {fmt([worst(r, k) for r in runs], 6)}" for k, l in enumerate(layers)))
    print("  largest relative error over eps: " + "  ".join(
        f"{l} {fmt([largest_error(r, k) for r in runs], 8)}" for k, l in enumerate(layers)))
    print("  fitted exponent of eps (theory k+1): " + "  ".join(
        f"{l} {fmt([exponent(r, k) for r in runs], 4)}" for k, l in enumerate(layers)))
    if runs[0]["spiking"]:
        print("spiking: cosine of the trial-averaged Delta h_k with -delta_{h_k} (all paired branches)")
        report["spiking"] = {}
        for rmax in runs[0]["spiking"]:
            vals = {l: [r["spiking"][rmax][l] for r in runs] for l in layers}
            print(f"  r_max {rmax:7.0f} Hz: " + "  ".join(f"{l} {fmt(vals[l], 3)}" for l in layers))
            report["spiking"][str(rmax)] = {l: mean_ci(v) for l, v in vals.items()}
    if runs[0]["detectability"]:
        print("trials for an expected cosine >= 0.9 with -delta_{h_k} (geometric mean [95 % interval] (n) over networks)")
        report["detectability"] = {}
        for label in runs[0]["detectability"]:
            for design in ("paired", "unpaired"):
                row = {l: trials_text([r["detectability"][label][l][design] for r in runs]) for l in layers}
                print(f"  {label:22} {design:8}  " + "  ".join(f"{l} {row[l]}" for l in layers))
                report["detectability"][f"{label} {design}"] = row
        if args.figure:
            detectability_figure(runs, args.figure)
            print(f"figure: {args.figure}")
    if runs[0]["alignment"]:
        print("Eq. 26 weight alignment (cosine of Delta W with -delta_post rho(pre)^T): " + "  ".join(
            f"{p} {fmt([r['alignment'][p] for r in runs], 4)}" for p in runs[0]["alignment"]))
    rel = release_analysis(runs)
    if any(sum(r["held"][l] for l in layers) for r in runs):
        print("held units released by the finite nudge (those the reference freezes, rho' = 0):")
        print(f"  {'layer':6} {'eps':>8}  {'released fraction':>22}  runs with a release in 0..k  cosine 1 in the others")
        for (layer, e), a in rel.items():
            if not a["released_fraction"]:
                continue
            print(f"  {layer:6} {e:8g}  {fmt(a['released_fraction'], 3):>22}  {a['runs_with_release']:>26}  "
                  f"{a['no_release_cases'] - a['no_release_cosine_below_1']:>3} of {a['no_release_cases']} runs")
        report["release"] = {f"{l} {e}": {**a, "released_fraction": mean_ci(a["released_fraction"])} for (l, e), a in rel.items()}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
