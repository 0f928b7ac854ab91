"""The statistical STDP window's file is read by an external tool: the curves and attributes are
there, numpy re-derives the stored correlation and ratio from the per-trial curves, and the
figure is drawn."""

import sys

import numpy as np

from ebsim_analysis import open_run


def test_stdp_statistics_file_and_figure(ebsim, root, tmp_path):
    sys.path.insert(0, str(root / "analysis"))
    import stdp_statistics_figures as figs

    out = tmp_path / "stdp_statistics.h5"
    ebsim("run", root / "configs/stdp_statistics.yaml", "-o", out, "--quiet",
          "--set", "experiment.trials=3", "--set", "experiment.duration=8 s")
    with open_run(out) as run:
        dt = run.analysis("stdp_statistics/dt_ms")
        assert dt.shape == (100,) and dt[0] == -99.0 and dt[-1] == 99.0
        assert run.analysis("stdp_statistics/dw_per_pair_trials").shape == (3, 100)
    r = figs.read(out)
    corr, ratio = figs.rederive(r)
    assert abs(corr - r["attrs"]["correlation"]) < 1e-9
    assert abs(ratio - r["attrs"]["ratio"]) < 1e-9
    # Both lobes with their signs: the 10 ms beyond each edge (d = 1 ms, d + T = 11 ms).
    m = r["dw_per_pair"]
    assert m[(dt > 11) & (dt < 21)].mean() > 0
    assert m[(dt > -9) & (dt < 1)].mean() < 0
    # The closed-form amplitude matches the fitted ones within a factor 1.5 in this short run.
    a = figs.closed_amplitude(r["attrs"])
    assert 0.67 < r["potentiation"]["amplitude"] / a < 1.5
    assert 0.67 < -r["depression"]["amplitude"] / a < 1.5
    assert np.isfinite(r["attrs"]["offset"])
    assert figs.window_figure(r, tmp_path).stat().st_size > 10_000
