"""The back-propagated errors that ebsim stores are re-derived independently with numpy."""

import numpy as np
import pytest

from conftest import assert_labelled
from ebsim_analysis import open_run
from ebsim_analysis.backprop import figures, rederive_deltas, stored_deltas


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
