"""What the command line promises, seen from outside: bit-identical files for the same seed (every
dataset and attribute but the wall-clock provenance), a sweep point identical to the same run made
with --set, and the progress bar on a real (pseudo-)terminal."""

import os
import pty
import select
import subprocess
import sys
import time

import h5py
import numpy as np

from conftest import ROOT, _ebsim_binary

sys.path.insert(0, str(ROOT / "tests/tools"))
from h5_digest import digest  # noqa: E402  (one line per dataset and attribute; wall-clock ones unhashed)

# A small plastic spiking network: spikes, states, rates, weights, two trials (about 0.1 s a run).
SPIKING = """\
seed: 5
model: {beta1: -0.5, tau: 10 ms, r_max: 200 Hz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 3}
  h: {role: hidden, size: 4, bias: 0.05}
  y: {role: output, size: 2}
projections:
  - {from: x, to: h, weights: {uniform: [-0.4, 0.4]}, symmetric: true, plasticity: {lr: 0.01}}
  - {from: h, to: y, weights: {uniform: [-0.4, 0.4]}, symmetric: true}
protocol:
  trials: 2
  phases:
    - {name: free, duration: 200 ms, clamp: {x: [0.3, -0.2, 0.1]}}
record:
  states: {populations: all, period: 1 ms}
  spikes: {populations: all}
  rates: {populations: all, bin: 20 ms}
"""


def test_two_spiking_runs_with_the_same_seed_give_identical_files(ebsim, tmp_path):
    cfg = tmp_path / "net.yaml"
    cfg.write_text(SPIKING)
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        ebsim("run", cfg, "-o", tmp_path / f"{name}.h5", "--quiet", "--seed", seed)
    a, b, c = (digest(tmp_path / f"{n}.h5") for n in "abc")
    assert len(a) > 50 and any(line.startswith("/spikes/h/timestamps\t") for line in a)
    assert a == b
    # Another seed: other spikes (and the seed attribute), the same layout.
    differing = {line.split("\t")[0] for line in set(a) ^ set(c)}
    assert "/spikes/h/timestamps" in differing and "/@seed" in differing
    assert [line.split("\t")[0] for line in a] == [line.split("\t")[0] for line in c]


def test_a_sweep_point_is_the_run_made_with_set(ebsim, tmp_path):
    cfg, plain_cfg = tmp_path / "sweep.yaml", tmp_path / "plain.yaml"
    cfg.write_text(SPIKING + "sweep: {model.r_max: [100 Hz, 400 Hz]}\n")
    plain_cfg.write_text(SPIKING)
    ebsim("run", cfg, "-o", tmp_path / "sweep.h5", "--quiet")
    ebsim("run", plain_cfg, "-o", tmp_path / "plain.h5", "--quiet", "--set", "model.r_max=400 Hz")
    with h5py.File(tmp_path / "sweep.h5") as sweep, h5py.File(tmp_path / "plain.h5") as plain:
        point = sweep["sweep/1"]
        assert point.attrs["value"] == "400 Hz"
        in_point = []
        point.visititems(lambda name, obj: in_point.append(name) if isinstance(obj, h5py.Dataset) else None)
        in_plain = []
        plain.visititems(lambda name, obj: in_plain.append(name) if isinstance(obj, h5py.Dataset) else None)
        # Everything but the resolved config (stored once, at the root of a sweep file): the SONATA
        # nodes with the run's biases included.
        assert sorted(in_point) == sorted(n for n in in_plain if n != "config")
        assert any(n.startswith("nodes/") for n in in_point)
        assert any(n.startswith("spikes/") for n in in_point)
        for name in in_point:
            a, b = point[name], plain[name]
            assert a.dtype == b.dtype and a.shape == b.shape, name
            assert np.array_equal(a[()], b[()], equal_nan=a.dtype.kind == "f"), name
            assert sorted(a.attrs) == sorted(b.attrs), name
            assert all(np.array_equal(a.attrs[k], b.attrs[k]) for k in a.attrs), name
        # The other point is another run.
        assert not np.array_equal(sweep["sweep/0/spikes/h/timestamps"][()], plain["spikes/h/timestamps"][()])


def test_progress_bar_on_a_pseudo_terminal_and_not_on_a_pipe(tmp_path):
    cfg = tmp_path / "net.yaml"
    cfg.write_text(SPIKING)
    binary = _ebsim_binary()
    # stderr on a pseudo-terminal, as in an interactive shell.
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([binary, "run", str(cfg), "-o", str(tmp_path / "tty.h5")],
                            stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL)
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end closed: the run ended
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(controller)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    text = seen.decode()
    assert "[" + "#" * 30 + "] 100.0%  elapsed" in text, text
    assert text.endswith("\r\x1b[K"), repr(text[-100:])  # the bar is cleared (carriage return, erase the line)
    assert b"output: " in out  # the summary goes to stdout
    # A pipe is not a terminal: no bar.
    piped = subprocess.run([binary, "run", str(cfg), "-o", str(tmp_path / "pipe.h5")], capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""
    # --quiet: nothing on stdout either.
    quiet = subprocess.run([binary, "run", str(cfg), "-o", str(tmp_path / "q.h5"), "--quiet"],
                           capture_output=True, text=True)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
