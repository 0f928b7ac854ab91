"""Independent re-derivation of the back-propagated errors of a backprop-equivalence run, and its
figures. Uses only the HDF5 file (fixed point, weights, biases, target) and numpy."""

from __future__ import annotations

import numpy as np

from .reader import Run, _text

G = "analysis/backprop"


def _layers(run: Run) -> list[str]:
    return _text(run.root[G].attrs["layers"]).split(",")


def _block(run: Run, post: str, pre: str) -> np.ndarray:
    """The directed weights W[post, pre] between two populations, summed over projections:
    a projection S -> T acts as W[T, S] += gain_forward * w and W[S, T] += gain_backward * w."""
    pops = run.populations
    W = np.zeros((pops[post]["size"], pops[pre]["size"]))
    for name in run.projections("initial"):
        g = run.root[f"weights/initial/{name}"]
        src, tgt = _text(g.attrs["source"]), _text(g.attrs["target"])
        pre_idx, post_idx, w = g["pre"][()], g["post"][()], g["weight"][()]
        if (tgt, src) == (post, pre):
            np.add.at(W, (post_idx, pre_idx), float(g.attrs["gain_forward"]) * w)
        if (src, tgt) == (post, pre):
            np.add.at(W, (pre_idx, post_idx), float(g.attrs["gain_backward"]) * w)
    return W


def rederive_deltas(run: Run) -> dict[str, np.ndarray]:
    """delta_y = beta (y^ - y*); delta_{h_k} = J_k^T delta_{h_{k-1}},
    J_k = diag(rho'_{k-1}) W[k-1, k] diag(rho'_k), with rho' = 1 strictly inside (beta1, beta2) and
    0 on a boundary (a unit held there by its drive), except for the nudged outputs, whose rate
    moves with them when the target lies inside."""
    cfg_beta1 = float(_beta1(run))
    b1, b2 = cfg_beta1, cfg_beta1 + 1.0
    layers = _layers(run)
    fp = {p: run.root[f"{G}/fixed_point/{p}"][()] for p in run.populations}
    target = run.root[f"{G}/target"][()]
    beta = float(run.root[f"{G}/target"].attrs["beta"])
    rho_prime = {}
    for p, s in fp.items():
        rho_prime[p] = ((s > b1) & (s < b2)).astype(float)
    y = fp[layers[0]]
    toward = target - y
    rho_prime[layers[0]] = np.where((y > b1) & (y < b2), 1.0,
                                    np.where(((y >= b2) & (toward < 0)) | ((y <= b1) & (toward > 0)), 1.0, 0.0))
    deltas = {layers[0]: beta * (y - target)}
    for k in range(1, len(layers)):
        prev, cur = layers[k - 1], layers[k]
        W = _block(run, prev, cur)  # W[prev, cur]: how layer k drives layer k-1
        deltas[cur] = rho_prime[cur] * (W.T @ (rho_prime[prev] * deltas[prev]))
    return deltas


def rederive_margins(run: Run) -> dict[str, np.ndarray]:
    """How far each unit's drive R_i = b_i + sum_j W_ij rho(s_j) lies beyond the boundary it sits on
    at the fixed point (R - beta2 above, beta1 - R below; hard sigmoid, gain 1); NaN strictly
    inside. A held unit's margin is what a finite nudge must overcome to release it."""
    b1 = float(_beta1(run))
    b2 = b1 + 1.0
    pops = list(run.populations)
    fp = {p: run.root[f"{G}/fixed_point/{p}"][()] for p in pops}
    out = {}
    for post in _layers(run):
        drive = run.bias(post).astype(float)
        for pre in pops:
            drive = drive + _block(run, post, pre) @ np.clip(fp[pre] - b1, 0.0, 1.0)
        s = fp[post]
        out[post] = np.where(s >= b2, drive - b2, np.where(s <= b1, b1 - drive, np.nan))
    return out


def _beta1(run: Run) -> float:
    for line in run.config.splitlines():
        stripped = line.strip()
        if stripped.startswith("beta1:"):
            return float(stripped.split(":", 1)[1])
    return -0.5


def stored_deltas(run: Run) -> dict[str, np.ndarray]:
    return {layer: run.root[f"{G}/delta/{layer}"][()] for layer in _layers(run)}


def figures(run: Run, outdir) -> list:
    """Writes the experiment's figures as PNG files; returns their paths."""
    import pathlib

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    layers = _layers(run)
    hidden = layers[1:]
    deltas = stored_deltas(run)
    eps = run.root[f"{G}/discrete/eps"][()]
    paths = []

    # 1. Delta h_k against -eps^(k+1) delta_{h_k} (discrete map, the largest eps), per layer.
    fig, axes = plt.subplots(1, len(hidden), figsize=(3.2 * len(hidden), 3.2))
    for ax, layer in zip(np.atleast_1d(axes), hidden):
        k = layers.index(layer)
        measured = run.root[f"{G}/discrete/{layer}/measured"][()][-1]
        predicted = -eps[-1] ** (k + 1) * deltas[layer]
        ax.scatter(predicted, measured, s=12)
        lim = np.max(np.abs(np.concatenate([predicted, measured]))) * 1.1 or 1.0
        ax.plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
        ax.set_title(f"{layer} (step {k + 1}, eps = {eps[-1]:g})")
        ax.set_xlabel(r"$-\epsilon^{k+1}\delta_{h_k}$")
        ax.set_ylabel(r"$\Delta h_k$")
    fig.tight_layout()
    paths.append(out / "backprop_scatter.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    # 2. Log-log scaling: |Delta h_k| against eps, and against t in the continuous-time limit.
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.6))
    t = run.root[f"{G}/continuous_time/t_ms"][()]
    for layer in layers:
        k = layers.index(layer)
        a1.loglog(eps, run.root[f"{G}/discrete/{layer}/norm"][()], "o-", label=f"{layer}: slope {k + 1}")
        a2.loglog(t, run.root[f"{G}/continuous_time/{layer}/norm"][()], label=f"{layer}")
        a2.loglog(t, run.root[f"{G}/continuous_time/{layer}/theory_norm"][()], "k:", lw=0.8)
    a1.set_xlabel("eps")
    a1.set_ylabel(r"$|\Delta h_k|$ at step k+1")
    a1.legend(fontsize=8)
    a2.set_xlabel("t (ms)")
    a2.set_ylabel(r"$|\Delta h_k(t)|$  (dotted: $(t/\tau)^{k+1}/(k+1)!\,|\delta_{h_k}|$)")
    a2.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "backprop_scaling.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    # 3. Spiking: cosine against the number of paired branches, per r_max.
    if "spiking" in run.root[G]:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        for key in sorted(run.root[f"{G}/spiking"], key=int):
            g = run.root[f"{G}/spiking/{key}"]
            n = g["branches_at"][()]
            for layer in hidden:
                ax.semilogx(n, g[f"{layer}/cosine_vs_branches"][()], "o-",
                            label=f"{layer}, r_max {float(g.attrs['r_max_hz']):g} Hz")
        ax.set_xlabel("paired branches (trials)")
        ax.set_ylabel(r"cos($\langle\Delta h_k\rangle$, $-\delta_{h_k}$)")
        ax.set_ylim(-0.2, 1.05)
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        paths.append(out / "backprop_spiking.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths
