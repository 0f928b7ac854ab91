"""The back-propagated errors that ebsim stores are re-derived independently with numpy."""

import numpy as np
import pytest

from conftest import assert_labelled
from ebsim_analysis import open_run
from ebsim_analysis.backprop import figures, rederive_deltas, rederive_margins, stored_deltas


@pytest.fixture(scope="module")
def backprop_run(ebsim, root, tmp_path_factory):
    out = tmp_path_factory.mktemp("bp") / "bp.h5"
    ebsim("run", root / "configs/backprop_equivalence.yaml", "-o", out, "--quiet",
          "--set", "experiment.spiking.branches=20", "--set", "experiment.spiking.r_max=[1 kHz]")
    with open_run(out) as run:
        yield run


def test_numpy_rederivation_matches_stored_deltas(backprop_run):
    ours, theirs = rederive_deltas(backprop_run), stored_deltas(backprop_run)
    assert list(theirs) == ["y", "h1", "h2", "h3"]
    for layer, stored in theirs.items():
        assert np.linalg.norm(stored) > 0
        np.testing.assert_allclose(ours[layer], stored, rtol=0, atol=1e-10)


def test_discrete_map_measurement_is_the_backprop_prediction(backprop_run):
    """Delta h_k at step k+1 = -eps^(k+1) delta_{h_k}, checked from the stored arrays alone."""
    run = backprop_run
    eps = run.analysis("backprop/discrete/eps")
    deltas = rederive_deltas(run)
    for k, layer in enumerate(["y", "h1", "h2", "h3"]):
        measured = run.analysis(f"backprop/discrete/{layer}/measured")
        for e, m in zip(eps, measured):
            predicted = -e ** (k + 1) * deltas[layer]
            assert np.linalg.norm(m - predicted) <= 1e-6 * np.linalg.norm(predicted)


def test_figures_plot_the_numbers_of_the_file(backprop_run, tmp_path, saved_figures):
    run = backprop_run
    paths = figures(run, tmp_path)
    assert len(paths) == 3
    for p in paths:
        assert p.stat().st_size > 10_000
    assert [p for _, p in saved_figures] == paths
    for fig, _ in saved_figures:
        assert_labelled(fig)
    scatter, scaling, spiking = (fig for fig, _ in saved_figures)
    # 1. Each panel scatters Delta h_k (measured) against -eps^(k+1) delta_{h_k}, with delta
    # re-derived here in numpy, at the largest eps; on the hard sigmoid's map they coincide.
    eps = run.analysis("backprop/discrete/eps")
    deltas = rederive_deltas(run)
    assert len(scatter.axes) == 3
    for k, (ax, layer) in enumerate(zip(scatter.axes, ["h1", "h2", "h3"]), start=1):
        (points,) = ax.collections
        x, y = points.get_offsets().T
        np.testing.assert_allclose(x, -eps[-1] ** (k + 1) * deltas[layer], rtol=1e-9, atol=1e-15)
        np.testing.assert_array_equal(y, run.analysis(f"backprop/discrete/{layer}/measured")[-1])
        assert np.linalg.norm(y - x) <= 1e-6 * np.linalg.norm(x)
    # 2. |Delta h_k| against eps on log-log axes: the file's norms, slope k + 1 between its ends.
    a1 = scaling.axes[0]
    assert a1.get_xscale() == "log" and a1.get_yscale() == "log"
    for k, (line, layer) in enumerate(zip(a1.get_lines(), ["y", "h1", "h2", "h3"])):
        np.testing.assert_array_equal(line.get_xdata(), eps)
        norm = run.analysis(f"backprop/discrete/{layer}/norm")
        np.testing.assert_array_equal(line.get_ydata(), norm)
        slope = np.log(norm[-1] / norm[0]) / np.log(eps[-1] / eps[0])
        assert abs(slope - (k + 1)) < 1e-3, (layer, slope)
    # 3. One cosine curve per hidden layer and r_max, each cosine in [-1, 1].
    lines = spiking.axes[0].get_lines()
    assert len(lines) == 3
    for line in lines:
        assert np.all(np.abs(line.get_ydata()) <= 1)


@pytest.fixture(scope="module")
def saturated_sweep(ebsim, root, tmp_path_factory):
    """configs/backprop_saturated.yaml over 3 replicates, discrete part only."""
    out = tmp_path_factory.mktemp("bps") / "bps.h5"
    ebsim("run", root / "configs/backprop_saturated.yaml", "-o", out, "--quiet", "--set", "sweep={replicates: 3}",
          "--set", "experiment.spiking=null", "--set", "experiment.logistic=false")
    return out


def test_held_units_margins_rederived_with_numpy(saturated_sweep):
    held = 0
    for k in range(3):
        with open_run(saturated_sweep, f"/sweep/{k}") as run:
            ours = rederive_margins(run)
            for layer, m in ours.items():
                stored = run.analysis(f"backprop/margin/{layer}")
                np.testing.assert_array_equal(np.isnan(stored), np.isnan(m))
                np.testing.assert_allclose(stored[~np.isnan(m)], m[~np.isnan(m)], rtol=0, atol=1e-12)
                assert np.all(m[~np.isnan(m)] > 0)
                assert int(run.analysis(f"backprop/held/{layer}")) == np.count_nonzero(~np.isnan(m))
                held += np.count_nonzero(~np.isnan(m))
    assert held >= 30  # glorot 0.5: 6-14 held units per layer


def test_replicate_summary_gates_convergence_and_reports_intervals(saturated_sweep, root, tmp_path):
    import json
    import subprocess
    import h5py
    out = tmp_path / "stats.json"
    text = subprocess.run(["/usr/bin/python3", str(root / "analysis/backprop_replicates.py"), str(saturated_sweep),
                           "--json", str(out)], check=True, capture_output=True, text=True).stdout
    report = json.loads(out.read_text())
    with h5py.File(saturated_sweep) as f:
        converged = [bool(f[f"sweep/{k}/analysis/backprop"].attrs["converged"]) for k in range(3)]
        assert f["analysis/sweep/unconverged"][0] == converged.count(False)
        # The file's own statistics (converged runs only) agree with the script's.
        mean = f["analysis/sweep/stats/analysis/backprop/held/h1/mean"][0]
        n = f["analysis/sweep/stats/analysis/backprop/held/h1/n"][0]
    assert report["runs"] == 3 and report["converged"] == converged.count(True)
    m, half, count = report["layers"]["h1"]["held"]
    assert count == n == converged.count(True)
    assert m == pytest.approx(mean, rel=1e-12)
    assert "mean ± 95 % half-width" in text
    # eps from 1e-4: the cosine of h1 at the smallest eps is at least that at the largest (release).
    cos = report["layers"]["h1"]["cosine"]
    assert cos["0.0001"][0] >= cos["0.2"][0] - 1e-9


# ---------------------------------------------------------------------------------------------
# Detectability: the trials a noisy measurement needs, paired and unpaired, over networks.


@pytest.fixture(scope="module")
def noisy_sweep(ebsim, root, tmp_path_factory):
    """configs/backprop_seeds.yaml over 3 networks, with few trials and one engine of each kind."""
    out = tmp_path_factory.mktemp("bpn") / "bpn.h5"
    ebsim("run", root / "configs/backprop_seeds.yaml", "-o", out, "--quiet", "--set", "sweep={replicates: 3}",
          "--set", "experiment.logistic=false", "--set", "experiment.spiking.branches=60",
          "--set", "experiment.spiking.r_max=[1 kHz]", "--set", "experiment.spiking.langevin_sigma=[0.3]")
    return out


def test_trials_needed_rederived_from_the_stored_signal_and_noise(noisy_sweep):
    import h5py
    with h5py.File(noisy_sweep) as f:
        checked = 0
        for k in range(3):
            for engine in ("spiking/0", "langevin/0"):
                g = f[f"sweep/{k}/analysis/backprop/{engine}"]
                for layer in ("y", "h1", "h2", "h3"):
                    for design in ("paired", "unpaired"):
                        d = g[f"{layer}/{design}"]
                        a, b, se, v = (float(d[n][()]) for n in
                                       ("mean_along_minus_delta", "mean_norm_sq", "mean_norm_sq_se", "variance_per_trial"))
                        needed, bound = float(d["trials_needed"][()]), float(d["trials_at_least"][()])
                        assert bound == pytest.approx(max(1.0, 0.81 * v / (0.19 * (b + 2 * se))), rel=1e-12)
                        if b <= 2 * se:
                            assert np.isnan(needed)
                        elif a * a <= 0.81 * b:
                            assert np.isinf(needed)
                        else:
                            assert needed == pytest.approx(max(1.0, 0.81 * v / (a * a - 0.81 * b)), rel=1e-12)
                            checked += 1
                    # Both designs measure the same mean: one signal, two noises.
                    assert g[f"{layer}/paired/mean_norm_sq"][()] == g[f"{layer}/unpaired/mean_norm_sq"][()]
        assert checked >= 12  # y and h1 are resolved in every network even with 60 trials


def test_replicate_summary_prints_trials_needed_and_draws_them(noisy_sweep, root, tmp_path, saved_figures):
    import json
    import subprocess
    import sys
    out = tmp_path / "stats.json"
    text = subprocess.run(["/usr/bin/python3", str(root / "analysis/backprop_replicates.py"), str(noisy_sweep),
                           "--json", str(out)], check=True, capture_output=True, text=True).stdout
    report = json.loads(out.read_text())["detectability"]
    assert sorted(report) == sorted(f"{e} {d}" for e in ("spiking 1000 Hz", "Langevin sigma 0.3")
                                    for d in ("paired", "unpaired"))
    assert "trials for an expected cosine >= 0.9" in text
    sys.path.insert(0, str(root / "analysis"))
    import backprop_replicates as br
    runs = br.read_runs(noisy_sweep)
    # The geometric mean the summary prints for y, re-derived from the file's per-network values.
    values = [r["detectability"]["spiking 1000 Hz"]["y"]["unpaired"][0] for r in runs]
    assert report["spiking 1000 Hz unpaired"]["y"].startswith(f"{10 ** np.mean(np.log10(values)):.3g}")
    br.detectability_figure(runs, tmp_path / "detectability.png")
    (fig, path), = saved_figures
    assert_labelled(fig)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    first = ax.get_lines()[0]  # spiking 1000 Hz, paired: the geometric means over the 3 networks
    for k, layer in enumerate(runs[0]["layers"]):
        vals = [r["detectability"]["spiking 1000 Hz"][layer]["paired"][0] for r in runs]
        finite = [v for v in vals if np.isfinite(v)]
        if k in first.get_xdata():
            assert first.get_ydata()[list(first.get_xdata()).index(k)] == pytest.approx(
                10 ** np.mean(np.log10(finite)), rel=1e-12)
