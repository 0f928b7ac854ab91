#!/usr/bin/env python3
"""The statistical STDP window (configs/stdp_statistics.yaml): its figure from the HDF5 file alone,
the measured-vs-predicted correlation re-derived with numpy from the stored per-trial curves, and
the grid over tau, the estimator window T, the delay d and r_max (one parameter at a time).

    /usr/bin/python3 analysis/stdp_statistics_figures.py runs/stdp_statistics.h5 -o docs/figures
    /usr/bin/python3 analysis/stdp_statistics_figures.py runs/stdp_statistics.h5 -o docs/figures \
        --grid runs/stdp_grid --ebsim build/release/ebsim     # runs the grid first (about 30 s)
"""

import argparse
import pathlib
import subprocess
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis import open_run  # noqa: E402

GROUP = "analysis/stdp_statistics"
# One parameter at a time around the config's (tau 10 ms, T 10 ms, d 1 ms, r_max 200 Hz).
GRID = {
    "tau": ("model.tau", ["5 ms", "10 ms", "20 ms"]),
    "T": ("projections.2.plasticity.window", ["2 ms", "10 ms", "20 ms"]),
    "d": ("projections.2.delay", ["1 ms", "5 ms", "10 ms"]),
    "r_max": ("model.r_max", ["100 Hz", "200 Hz", "400 Hz"]),
}
GRID_SETTINGS = ["experiment.trials=10", "experiment.duration=30 s"]
# Each grid point has its own seed (independent of the others and of the main run's seed 11): the
# three points that repeat the default config (tau 10 ms, T 10 ms, d 1 ms, r_max 200 Hz) are
# independent replicates of it.
GRID_SEED = 101


def read(path):
    """The stored curves and attributes of one run, as numpy arrays and a dict."""
    with open_run(path) as run:
        g = run.root[GROUP]
        out = {k: g[k][()] for k in g if not hasattr(g[k], "keys")}
        out["attrs"] = dict(g.attrs)
        for lobe in ("potentiation", "depression"):
            out[lobe] = dict(g[lobe].attrs)
    return out


def rederive(r):
    """Correlation and amplitude ratio of the trial means, from the per-trial curves (numpy)."""
    m = r["dw_per_pair_trials"].mean(axis=0)
    p = r["predicted_sta_trials"].mean(axis=0)
    return float(np.corrcoef(m, p)[0, 1]), float(m @ p / (p @ p))


def closed_amplitude(a):
    """The closed form's lobe amplitude lr var(s) (1 - e^{-T/tau}) / (r_max T mean rho), r_max per ms."""
    T, tau = a["window_ms"], a["tau_ms"]
    return a["lr"] * a["state_var"] * -np.expm1(-T / tau) / (a["r_max_hz"] / 1000 * T * a["rho_mean"])


def window_figure(r, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a = r["attrs"]
    dt, m, ci = r["dt_ms"], r["dw_per_pair"], r["dw_per_pair_ci95"]
    scale = 1e6
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [1.6, 1]})
    ax.axhline(0, color="k", lw=0.6)
    ax.axvline(0, color="k", lw=0.6)
    ax.errorbar(dt, m * scale, yerr=ci * scale, fmt="o", ms=2.5, lw=0.8, color="C0",
                label=f"measured: STDP events, all pairs ({int(a['trials'])} trials, 95% CI)")
    ax.plot(dt, r["predicted_sta"] * scale, "-", color="C3", lw=1.4,
            label=f"predicted from the STA (r = {a['correlation']:.4f})")
    ax.plot(dt, r["predicted_closed_form"] * scale, "--", color="k", lw=0.9,
            label=r"closed form $\propto e^{-|d+T-\Delta t|/\tau} - e^{-|d-\Delta t|/\tau}$")
    for lobe, color in (("potentiation", "C2"), ("depression", "C1")):
        f = r[lobe]
        x = dt[dt >= f["edge_ms"]] if lobe == "potentiation" else dt[dt <= f["edge_ms"]]
        ax.plot(x, f["amplitude"] * np.exp(-np.abs(x - f["edge_ms"]) / f["tau_ms"]) * scale, color=color, lw=2,
                alpha=0.7, label=f"{lobe} fit: tau = {f['tau_ms']:.1f} ± {f['tau_ci95_ms']:.1f} ms")
    ax.set_xlabel(r"$\Delta t = t_{post} - t_{pre}$ (ms)")
    ax.set_ylabel(r"$\Delta W$ per pair ($10^{-6}$)")
    ax.set_title(f"tau = {a['tau_ms']:g} ms, T = {a['window_ms']:g} ms, d = {a['delay_ms']:g} ms, "
                 f"r_max = {a['r_max_hz']:g} Hz", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    u, sta = r["sta_u_ms"], r["sta"]
    ax2.plot(u, sta, color="C0", lw=1)
    ax2.plot(u, a["state_mean"] + a["state_var"] / a["rho_mean"] * np.exp(-np.abs(u) / a["tau_ms"]), "--", color="k",
             lw=0.9, label=r"$\bar s + \mathrm{var}(s)\, e^{-|u|/\tau} / \bar\rho$")
    ax2.set_xlabel(r"$u$ (ms after a post spike)")
    ax2.set_ylabel(r"STA$(u) = E[s(t_{post} + u)]$")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    out = pathlib.Path(outdir) / "stdp_statistics.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def run_grid(ebsim, config, griddir):
    griddir = pathlib.Path(griddir)
    griddir.mkdir(parents=True, exist_ok=True)
    files = {}
    seed = GRID_SEED
    for name, (key, values) in GRID.items():
        for v in values:
            out = griddir / f"{name}_{v.replace(' ', '')}.h5"
            if not out.exists():
                sets = [f"{key}={v}", *GRID_SETTINGS]
                subprocess.run([ebsim, "run", config, "-o", out, "--quiet", "--seed", str(seed),
                                *[x for s in sets for x in ("--set", s)]], check=True)
            files[(name, v)] = out
            seed += 1
    return files


def grid_figure(files, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(15, 3.4))
    rows = []
    for ax, (name, (_, values)) in zip(axes, GRID.items()):
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        for c, v in enumerate(values):
            r = read(files[(name, v)])
            a = r["attrs"]
            ax.errorbar(r["dt_ms"], r["dw_per_pair"] * 1e6, yerr=r["dw_per_pair_ci95"] * 1e6, fmt="o", ms=1.8,
                        lw=0.5, color=f"C{c}", alpha=0.6)
            ax.plot(r["dt_ms"], r["predicted_sta"] * 1e6, color=f"C{c}", lw=1.3, label=f"{name} = {v}")
            corr, ratio = rederive(r)
            rows.append((name, v, r["potentiation"], r["depression"], corr, ratio, a))
        ax.set_xlim(-60, 80)
        ax.set_xlabel(r"$\Delta t$ (ms)")
        ax.legend(fontsize=7)
    axes[0].set_ylabel(r"$\Delta W$ per pair ($10^{-6}$)")
    fig.suptitle("points: measured (95% CI, 10 trials x 30 s); lines: predicted from the spike-triggered average",
                 fontsize=9)
    fig.tight_layout()
    out = pathlib.Path(outdir) / "stdp_statistics_grid.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out, rows


def replicate_table(paths):
    """Mean and 95% interval (Student t) over independent runs (seeds) of the fitted time constants,
    amplitudes and the correlation with the prediction."""
    from scipy import stats

    rows = [read(p) for p in paths]
    n = len(rows)
    t95 = stats.t.ppf(0.975, n - 1)
    quantities = {
        "tau+ (ms)": [r["potentiation"]["tau_ms"] for r in rows],
        "tau- (ms)": [r["depression"]["tau_ms"] for r in rows],
        "amplitude+": [r["potentiation"]["amplitude"] for r in rows],
        "amplitude-": [r["depression"]["amplitude"] for r in rows],
        "correlation": [rederive(r)[0] for r in rows],
        "ratio": [rederive(r)[1] for r in rows],
        "offset": [r["attrs"]["offset"] for r in rows],
    }
    print(f"over {n} independent runs (seeds):")
    for name, v in quantities.items():
        v = np.asarray(v)
        print(f"  {name}: {v.mean():.4g} ± {t95 * v.std(ddof=1) / np.sqrt(n):.2g}   (each: "
              + ", ".join(f"{x:.4g}" for x in v) + ")")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("h5")
    ap.add_argument("-o", "--outdir", default="runs/figures")
    ap.add_argument("--grid", help="directory of the grid's runs (made if missing)")
    ap.add_argument("--ebsim", default="build/release/ebsim")
    ap.add_argument("--config", default="configs/stdp_statistics.yaml")
    ap.add_argument("--replicates", nargs="*", default=[],
                    help="runs of the same config at other seeds: the fits' spread over independent runs")
    args = ap.parse_args(argv)
    pathlib.Path(args.outdir).mkdir(parents=True, exist_ok=True)
    r = read(args.h5)
    corr, ratio = rederive(r)
    a = r["attrs"]
    print(f"correlation measured vs predicted: {corr:.5f} (stored {a['correlation']:.5f} ± {a['correlation_ci95']:.5f}),"
          f" ratio {ratio:.4f} (stored {a['ratio']:.4f} ± {a['ratio_ci95']:.4f})")
    for lobe in ("potentiation", "depression"):
        f = r[lobe]
        print(f"{lobe}: tau {f['tau_ms']:.2f} ± {f['tau_ci95_ms']:.2f} ms, amplitude {f['amplitude']:.3e} ± "
              f"{f['amplitude_ci95']:.3e} at dt = {f['edge_ms']:g} ms (chi2/dof {f['chi2_reduced']:.2f})")
    print(window_figure(r, args.outdir))
    if args.replicates:
        replicate_table([args.h5, *args.replicates])
    if args.grid:
        out, rows = grid_figure(run_grid(args.ebsim, args.config, args.grid), args.outdir)
        print(out)
        print("| point | τ₊ (ms) | τ₋ (ms) | A₊ (10⁻⁶) | A₋ (10⁻⁶) | closed-form ±A (10⁻⁶) | r (measured, predicted) "
              "| ratio | var(s) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for name, v, p, d, c, ra, a in rows:
            print(f"| {name} = {v} | {p['tau_ms']:.1f} ± {p['tau_ci95_ms']:.1f} | {d['tau_ms']:.1f} ± "
                  f"{d['tau_ci95_ms']:.1f} | {p['amplitude'] * 1e6:.1f} ± {p['amplitude_ci95'] * 1e6:.1f} | "
                  f"{d['amplitude'] * 1e6:.1f} ± {d['amplitude_ci95'] * 1e6:.1f} | {closed_amplitude(a) * 1e6:.1f} | "
                  f"{c:.3f} ± {a['correlation_ci95']:.3f} | {ra:.3f} ± {a['ratio_ci95']:.3f} | "
                  f"{a['state_var']:.4f} |")


if __name__ == "__main__":
    main()
