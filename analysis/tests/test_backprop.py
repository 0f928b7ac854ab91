"""The back-propagated errors that ebsim stores are re-derived independently with numpy."""

import numpy as np
import pytest

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


def test_figures_are_drawn(backprop_run, tmp_path):
    paths = figures(backprop_run, tmp_path)
    assert len(paths) == 3
    for p in paths:
        assert p.stat().st_size > 10_000
