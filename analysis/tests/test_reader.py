"""An external tool (h5py + numpy) reads what ebsim writes."""

import numpy as np
import pytest

from ebsim_analysis import open_run


def test_relax_run_reads_back_with_time_axis(ebsim, root, tmp_path):
    out = tmp_path / "relax.h5"
    ebsim("run", root / "configs/relax.yaml", "-o", out, "--quiet")
    with open_run(out) as run:
        assert run.complete
        assert run.engine == "continuous"
        assert run.seed == 42
        assert set(run.populations) == {"x", "h2", "h1", "y"}
        t, s = run.states("h1")
        assert s.dtype == np.float32
        assert s.shape == (t.size, run.populations["h1"]["size"])
        assert t[0] == 0.0 and np.allclose(np.diff(t), 1.0)
        # The input is clamped: constant in time. The last sample is the stored final state.
        _, x = run.states("x")
        assert np.all(x == x[0])
        assert np.allclose(s[-1], run.analysis("final_state/h1")[0], atol=1e-6)
        # Settled: the last samples no longer move.
        assert np.max(np.abs(s[-1] - s[-2])) < 1e-6
        assert "tau: 10 ms" in run.config


def test_fixed_point_satisfies_eq10_recomputed_in_numpy(ebsim, root, tmp_path):
    """Recompute R(s) = rho'(s)(b + W rho(s)) from the stored biases, weights and final state
    (Eq. 8), and check the fixed-point equation s = R(s) (Eq. 10) to the settle tolerance."""
    out = tmp_path / "relax.h5"
    ebsim("run", root / "configs/relax.yaml", "-o", out, "--quiet")
    with open_run(out) as run:
        s = {p: run.analysis(f"final_state/{p}")[0] for p in run.populations}
        bias = {p: run.bias(p) for p in run.populations if run.populations[p]["role"] != "input"}
        rho = {p: np.clip(v + 0.5, 0.0, 1.0) for p, v in s.items()}
        drive = {p: np.full_like(s[p], bias[p]) for p in bias}
        for name in run.projections("final"):
            src, tgt = name.split("->")
            W = run.weights(name, dense=True)
            drive[tgt] += W @ rho[src]
            if src in drive:
                drive[src] += W.T @ rho[tgt]
        n_inside = 0
        for p, d in drive.items():
            inside = (s[p] > -0.5) & (s[p] < 0.5)
            n_inside += inside.sum()
            # Inside the interval: s = R(s) (Eq. 10). On a boundary, held by a drive beyond it (the
            # sliding fixed point): s = beta2 with R >= beta2, or s = beta1 with R <= beta1.
            np.testing.assert_allclose(s[p][inside], d[inside], atol=1e-8)
            assert np.all(d[s[p] == 0.5] >= 0.5 - 1e-8)
            assert np.all(d[s[p] == -0.5] <= -0.5 + 1e-8)
            assert np.all(inside | (s[p] == 0.5) | (s[p] == -0.5))
        assert n_inside > 0


def test_not_an_ebsim_file_is_rejected(tmp_path):
    import h5py

    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["x"] = 1
    with pytest.raises(ValueError, match="not an ebsim"):
        open_run(path)
