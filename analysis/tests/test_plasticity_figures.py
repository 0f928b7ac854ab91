"""The STDP-window and saturation files are read and drawn by an external tool."""

import sys

import numpy as np

from conftest import assert_labelled
from ebsim_analysis import open_run


def _line(ax, x):
    """The line of `ax` drawn over abscissae `x`, with markers (the data, not a guide)."""
    found = [ln for ln in ax.get_lines() if ln.get_marker() not in (None, "None", "") and
             len(ln.get_xdata()) == len(x) and np.array_equal(ln.get_xdata(), x)]
    assert found, [ln.get_label() for ln in ax.get_lines()]
    return found


def test_stdp_and_saturation_figures(ebsim, root, tmp_path, saved_figures):
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
    (stdp_fig, _), (sat_fig, _) = saved_figures
    for fig in (stdp_fig, sat_fig):
        assert_labelled(fig)
    # The window figure plots the file's dW per pairing against dt.
    with open_run(stdp) as run:
        (line,) = _line(stdp_fig.axes[0], run.analysis("stdp_window/dt_ms"))
        np.testing.assert_array_equal(line.get_ydata(), run.analysis("stdp_window/dw_per_pairing"))
    # The saturation figure: one curve per presynaptic drive, the file's states, and the guide
    # s0 exp(-t / tau) with the config's tau (10 ms), which the states follow (input has no effect
    # while saturated: each curve is that decay).
    with open_run(sat) as run:
        for ax, side in zip(sat_fig.axes, ["above_beta2", "below_beta1"]):
            g = run.root[f"analysis/saturation/{side}"]
            t, states = g["t_ms"][()], g["state"][()]
            lines = _line(ax, t)
            assert len(lines) == len(g["drives"][()])
            for ln, s in zip(lines, states):
                np.testing.assert_array_equal(ln.get_ydata(), s)
            guide = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
            assert len(guide) == 1
            np.testing.assert_allclose(guide[0].get_ydata(), float(g.attrs["start_state"]) * np.exp(-t / 10.0))
