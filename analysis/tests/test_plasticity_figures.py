"""The STDP-window and saturation files are read and drawn by an external tool."""

import sys

import numpy as np

from ebsim_analysis import open_run


def test_stdp_and_saturation_figures(ebsim, root, tmp_path):
    sys.path.insert(0, str(root / "analysis"))
    import plasticity_figures

    stdp, sat = tmp_path / "stdp.h5", tmp_path / "sat.h5"
    ebsim("run", root / "configs/stdp_window.yaml", "-o", stdp, "--quiet",
          "--set", "experiment.offsets={from: -30 ms, to: 30 ms, step: 5 ms}", "--set", "experiment.trials=2")
    ebsim("run", root / "configs/saturation.yaml", "-o", sat, "--quiet", "--set", "experiment.trials=2")
    with open_run(stdp) as run:
        dt = run.analysis("stdp_window/dt_ms")
        dw = run.analysis("stdp_window/dw_per_pairing")
        assert np.all(dw[(dt < 0)] < 0)          # post before pre: depression
        assert np.all(dw[(dt > 1) & (dt <= 11)] > 0)  # pre before post, inside the window: potentiation
    with open_run(sat) as run:
        assert np.all(run.analysis("saturation/above_beta2/dw_rate_derivative") == 0)
    for p in (plasticity_figures.stdp_figure(stdp, tmp_path), plasticity_figures.saturation_figure(sat, tmp_path)):
        assert p.stat().st_size > 10_000
