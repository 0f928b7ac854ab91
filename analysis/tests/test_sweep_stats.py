"""A grid sweep with replicates read back by an external tool: the per-point statistics under
/analysis/sweep re-derived with numpy and scipy from the runs' own values (Student t interval)."""

import numpy as np
import pytest
from scipy import stats

from ebsim_analysis import open_run


@pytest.fixture(scope="module")
def grid_run(ebsim, root, tmp_path_factory):
    out = tmp_path_factory.mktemp("grid") / "grid.h5"
    ebsim("run", root / "configs/theory_check.yaml", "-o", out, "--quiet", "--jobs", "2",
          "--set", "sweep={grid: {model.r_max: [200 Hz, 800 Hz], model.tau: [10 ms, 20 ms]}, replicates: 4}",
          "--set", "protocol.trials=2", "--set", "protocol.phases.0.duration=100 ms")
    with open_run(out) as run:
        yield run


def test_every_run_is_in_its_group_with_its_point_and_seed(grid_run):
    f = grid_run.file
    assert grid_run.sweep_points == 16
    labels = f["analysis/sweep"].attrs["point_labels"]
    labels = (labels.decode() if isinstance(labels, bytes) else labels).split("\n")
    assert labels[1] == "model.r_max=200 Hz, model.tau=20 ms"
    seeds = set()
    for k in range(16):
        a = f[f"sweep/{k}"].attrs
        assert a["point"] == k // 4 and a["replicate"] == k % 4
        seeds.add(int(a["seed"]))
    assert len(seeds) == 4, "replicate r has the same seed at every point"
    np.testing.assert_array_equal(f["analysis/sweep/values/model.r_max"][...], [200, 200, 800, 800])


def test_statistics_match_numpy_and_scipy(grid_run):
    f = grid_run.file
    checked = 0
    for pop in ("h1", "h2", "y"):
        for name in ("state_rmse", "rate_rmse_single_trial_hz"):
            path = f"analysis/theory_check/{pop}/{name}"
            g = f[f"analysis/sweep/stats/{path}"]
            for p in range(4):
                v = np.array([f[f"sweep/{p * 4 + r}/{path}"][()] for r in range(4)])
                mean, sd = v.mean(), v.std(ddof=1)
                half = stats.t.ppf(0.975, df=3) * sd / np.sqrt(4)
                assert g["n"][p] == 4
                assert g["mean"][p] == pytest.approx(mean, rel=1e-12)
                assert g["sd"][p] == pytest.approx(sd, rel=1e-10)
                assert g["ci95_half_width"][p] == pytest.approx(half, rel=1e-9)
                assert g["ci95_high"][p] == pytest.approx(mean + half, rel=1e-9)
                checked += 1
    assert checked == 24
