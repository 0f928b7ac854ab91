#!/usr/bin/env python3
"""Figures of the STDP-window and saturation experiments, from their HDF5 files alone.

    /usr/bin/python3 analysis/plasticity_figures.py --stdp runs/stdp_window.h5 --saturation runs/saturation.h5 -o docs/figures
"""

import argparse
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from ebsim_analysis import open_run  # noqa: E402


def _tau_ms(config: str) -> float:
    """model.tau from the resolved config (always written with its unit, e.g. `10 ms`; tau is a
    key of the model section only)."""
    import re

    m = re.search(r"\btau:\s*([0-9.eE+-]+)\s*(ms|us|s)\b", config)
    if not m:
        raise ValueError("no model.tau in the config")
    return float(m.group(1)) * {"ms": 1.0, "s": 1000.0, "us": 1e-3}[m.group(2)]


def stdp_figure(path, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open_run(path) as run:
        g = run.root["analysis/stdp_window"]
        dt, dw = g["dt_ms"][()], g["dw_per_pairing"][()]
        lo, hi = g["ci95_low"][()], g["ci95_high"][()]
        tau = float(g["depression"].attrs["tau_ms"])
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.axhline(0, color="k", lw=0.6)
    ax.axvline(0, color="k", lw=0.6)
    ax.fill_between(dt, lo, hi, color="C0", alpha=0.3, lw=0)
    ax.plot(dt, dw, "o-", ms=3, label=f"Eq. 26 as STDP events (depression tau = {tau:.3g} ms)")
    ax.set_xlabel(r"$\Delta t = t_{post} - t_{pre}$ (ms)")
    ax.set_ylabel(r"$\Delta W$ per pairing")
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = pathlib.Path(outdir) / "stdp_window.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def saturation_figure(path, outdir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    with open_run(path) as run:
        tau = _tau_ms(run.config)
        for ax, side in zip(axes, ["above_beta2", "below_beta1"]):
            g = run.root[f"analysis/saturation/{side}"]
            t, states, drives = g["t_ms"][()], g["state"][()], g["drives"][()]
            for d, s in zip(drives, states):
                ax.plot(t, s, "o-", ms=3, label=f"presynaptic drive {d:g}")
            s0 = float(g.attrs["start_state"])
            ax.plot(t, s0 * np.exp(-t / tau), "k:", lw=1, label=r"$s_0 e^{-t/\tau}$")
            ax.set_title(side.replace("_", " "))
            ax.set_xlabel("time after the pulse (ms)")
            ax.set_ylabel("state s")
            ax.legend(fontsize=7)
    fig.tight_layout()
    out = pathlib.Path(outdir) / "saturation.png"
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stdp", help="output of configs/stdp_window.yaml")
    parser.add_argument("--saturation", help="output of configs/saturation.yaml")
    parser.add_argument("-o", "--outdir", default="runs/figures")
    args = parser.parse_args()
    pathlib.Path(args.outdir).mkdir(parents=True, exist_ok=True)
    if args.stdp:
        print(f"wrote {stdp_figure(args.stdp, args.outdir)}")
    if args.saturation:
        print(f"wrote {saturation_figure(args.saturation, args.outdir)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
