"""The scripts that turn replicated runs into the README's intervals, on small runs: what they print
is checked against the file (and, where ebsim computes the same thing in C++, against ebsim)."""

import re
import subprocess

import h5py
import numpy as np
import pytest
from scipy import stats


def script(root, name, *args):
    return subprocess.run(["/usr/bin/python3", str(root / "analysis" / name), *map(str, args)], check=True,
                          capture_output=True, text=True).stdout


def test_learning_replicates_pairs_rule_and_baseline(ebsim, root, tmp_path):
    out = tmp_path / "learn.h5"
    ebsim("run", root / "configs/learn_digits.yaml", "-o", out, "--quiet", "--set", "sweep={replicates: 3}",
          "--set", "experiment.epochs=1")
    text = script(root, "learning_replicates.py", out)
    with h5py.File(out) as f:
        diff = [f[f"sweep/{k}/training/baseline/test_accuracy"][-1] - f[f"sweep/{k}/training/test_accuracy"][-1]
                for k in range(3)]
    mean, half = np.mean(diff), stats.t.ppf(0.975, 2) * np.std(diff, ddof=1) / np.sqrt(3)
    line = next(l for l in text.splitlines() if "paired difference" in l)
    assert re.search(rf"{100 * mean:.2f} ± {100 * half:.2f} points \(3\)", line), (line, mean, half)


def test_theory_bias_agrees_with_the_split_ebsim_stores(ebsim, root, tmp_path):
    """The script's pooled bias and noise (numpy, from the recorded arrays) against ebsim's own
    (C++, /analysis/sweep/state_bias_rmse and state_noise_sd): two implementations, one number."""
    out = tmp_path / "tc.h5"
    ebsim("run", root / "configs/theory_check.yaml", "-o", out, "--quiet", "--set", "protocol.phases.0.duration=200 ms",
          "--set", "protocol.trials=4")
    text = script(root, "theory_bias.py", out)
    rows = [l.split() for l in text.splitlines() if re.match(r"^\s+\d+\s+4\s", l)]
    assert len(rows) == 4
    with h5py.File(out) as f:
        bias = f["analysis/sweep/state_bias_rmse"][()]
        noise = f["analysis/sweep/state_noise_sd"][()]
    for row, b, n in zip(rows, bias, noise):
        assert float(row[2]) == pytest.approx(b, rel=1e-3)
        assert float(row[3]) == pytest.approx(n, rel=1e-3)
        # boundary and inside cells together are all of them
        assert int(row[6]) + int(row[9]) > 0


def test_theory_bias_grid_mode_fits_one_slope_per_network(ebsim, root, tmp_path):
    out = tmp_path / "grid.h5"
    ebsim("run", root / "configs/theory_check_grid.yaml", "-o", out, "--quiet", "--set",
          "protocol.phases.0.duration=200 ms", "--set", "protocol.trials=3", "--set",
          "sweep={grid: {model.r_max: [200 Hz, 800 Hz], model.tau: [10 ms, 20 ms]}, replicates: 3}",
          "--set", "record.spikes=null", "--set", "record.states=null")
    text = script(root, "theory_bias.py", out)
    assert "runs not converged: 0" in text
    line = next(l for l in text.splitlines() if l.strip().startswith("state_noise_sd"))
    assert line.count("(3)") == 2  # one slope per network, 3 networks, at each tau
    # By hand: per network, the pooled (size-weighted RMS over populations) noise at 200 and 800 Hz,
    # tau 10 ms (grid points 0 and 2; runs point x 3 + replicate), its log-log slope, their mean.
    with h5py.File(out) as f:
        assert list(f["analysis/sweep/unconverged"][()]) == [0, 0, 0, 0]
        pops = list(f["sweep/0/analysis/theory_check"])
        size = {p: f[f"sweep/0/populations/{p}/bias"].shape[0] for p in pops}

        def pooled(k):
            v = [size[p] * f[f"sweep/{k}/analysis/theory_check/{p}/state_noise_sd"][()] ** 2 for p in pops]
            return np.sqrt(sum(v) / sum(size.values()))

        slopes = [np.log(pooled(2 * 3 + r) / pooled(0 * 3 + r)) / np.log(4.0) for r in range(3)]
    mean = float(re.search(r"tau 10 ms: (-?[0-9.]+) ±", line).group(1))
    assert mean == pytest.approx(np.mean(slopes), abs=6e-4)  # printed to 3 decimals


def test_meanfield_random_compares_unit_by_unit(ebsim, root, tmp_path):
    out = tmp_path / "mf.h5"
    ebsim("run", root / "configs/meanfield_random.yaml", "-o", out, "--quiet", "--set", "populations.n.size=400",
          "--set", "projections.0.connectivity={random: 0.25}", "--set", "protocol.phases.0.duration=1 s",
          "--set", "sweep={zip: {model.tau: [10 ms, 100 ms]}, replicates: 2}")
    text = script(root, "meanfield_random.py", out)
    lines = {l[:42].strip(): l[42:].split() for l in text.splitlines()[3:]}
    with h5py.File(out) as f:
        s = f["sweep/0/rates/n/rate_hz"][()][1:].mean(axis=0)
        t = f["sweep/0/theory/n/rate_hz"][()][1:].mean(axis=0)
        s1 = f["sweep/1/rates/n/rate_hz"][()][1:].mean(axis=0)
        t1 = f["sweep/1/theory/n/rate_hz"][()][1:].mean(axis=0)
    rmse = np.mean([np.sqrt(np.mean((s - t) ** 2)), np.sqrt(np.mean((s1 - t1) ** 2))])
    assert float(lines["RMSE over units (Hz)"][0]) == pytest.approx(rmse, rel=1e-3)
    corr = [float(lines["correlation over units"][0]), float(lines["correlation over units"][4])]
    assert all(0 < c <= 1 for c in corr)
    # a slower unit averages more spikes: the mean field is closer at tau = 100 ms
    assert float(lines["RMSE over units (Hz)"][4]) < float(lines["RMSE over units (Hz)"][0])
