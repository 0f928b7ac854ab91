#!/usr/bin/env python3
"""Kills `ebsim run` with SIGKILL at random moments and counts the partial files that still open.

    /usr/bin/python3 tests/tools/sigkill_partials.py build/release/ebsim [--kills 100] [--seed 1] [--trials 4]

A spiking run (states, spikes, rates recorded; a few seconds long) is run once to the end as the
reference; then `--kills` times it is started again and killed with SIGKILL at a uniformly random
moment between the appearance of OUT.partial and the end of the reference run's duration. Every
partial file left behind must open with h5py and hold a
prefix of the reference run: the same first rows of every state report and spike list, and the
same resolved config. Prints the counts; exits 1 unless every partial file passed."""
import argparse
import os
import pathlib
import random
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

CONFIG = """
seed: 3
model: {beta1: -0.5, tau: 10 ms, r_max: 2 kHz}
engine: {kind: spiking}
populations:
  x: {role: input, size: 20}
  h: {role: hidden, size: 200, bias: {uniform: [-0.1, 0.1]}}
  y: {role: output, size: 20}
projections:
  - {from: x, to: h, connectivity: {random: 0.3}, weights: {glorot: 1.0}, symmetric: true}
  - {from: h, to: y, connectivity: {random: 0.3}, weights: {glorot: 1.0}, symmetric: true}
protocol:
  trials: {trials}
  phases:
    - {name: free, duration: 1500 ms, clamp: {x: {uniform: [-0.5, 0.5]}}}
record:
  states: {populations: all, period: 0.1 ms}
  spikes: {populations: [h, y]}
"""


def growing_datasets(f):
    names = []
    for group in ("report", "spikes"):
        if group in f:
            for pop in f[group]:
                for leaf in ("data", "timestamps", "node_ids"):
                    if leaf in f[group][pop]:
                        names.append(f"/{group}/{pop}/{leaf}")
    return names


def check_prefix(partial, reference):
    """(None, fraction of the reference's state rows held) if `partial` opens and holds a prefix of
    `reference`; otherwise (what is wrong, 0)."""
    try:
        with h5py.File(partial, "r") as f, h5py.File(reference, "r") as ref:
            if int(f.attrs["complete"]) != 0:
                return "complete = 1 in a partial file"
            if "config" in f and f["config"][()] != ref["config"][()]:
                return "/config differs"
            for name in growing_datasets(f):
                part = f[name][()]
                full = ref[name][()]
                if len(part) > len(full) or not np.array_equal(part, full[: len(part)]):
                    return f"{name} is not a prefix of the full run's", 0.0
            held = len(f["/report/h/data"]) / len(ref["/report/h/data"]) if "/report/h/data" in f else 0.0
    except Exception as error:  # h5py raises OSError, KeyError, RuntimeError, ...
        return f"does not open: {error}", 0.0
    return None, held


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ebsim")
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trials", type=int, default=4, help="trials of 1.5 s simulated (fewer: a shorter run)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="ebsim-sigkill-") as tmp:
        tmp = pathlib.Path(tmp)
        cfg = tmp / "run.yaml"
        cfg.write_text(CONFIG.replace("{trials}", str(args.trials)))
        reference = tmp / "reference.h5"
        start = time.monotonic()
        subprocess.run([args.ebsim, "run", str(cfg), "-o", str(reference), "--quiet"], check=True)
        duration = time.monotonic() - start
        print(f"reference run: {duration:.2f} s")
        readable = prefix = no_file = 0
        problems, held = [], []
        for k in range(args.kills):
            out = tmp / f"run{k}.h5"
            child = subprocess.Popen([args.ebsim, "run", str(cfg), "-o", str(out), "--quiet"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            # A uniformly random moment between the moment OUT.partial appears and the reference
            # run's end (before it appears there is no file to check: a kill then leaves nothing,
            # which `no_file` counts if the file was never seen).
            partial = pathlib.Path(str(out) + ".partial")
            started = time.monotonic()
            while not partial.exists() and child.poll() is None and time.monotonic() - started < duration:
                time.sleep(0.001)
            appeared = time.monotonic() - started
            time.sleep(rng.uniform(0.0, max(0.0, duration - appeared)))
            child.send_signal(signal.SIGKILL)
            child.wait()
            if out.exists():  # it finished before the kill
                partial = out
            if not partial.exists():
                no_file += 1
                continue
            if partial == out:
                readable += 1
                prefix += 1
                partial.unlink()
                continue
            problem, fraction = check_prefix(partial, reference)
            if problem is None or not problem.startswith("does not open"):
                readable += 1
            if problem is None:
                prefix += 1
                held.append(fraction)
            else:
                problems.append(f"kill {k}: {problem}")
            partial.unlink()
        files = args.kills - no_file
        print(f"{args.kills} SIGKILLs: {no_file} before any output file existed; of the {files} partial files, "
              f"{readable} opened with h5py and {prefix} held a prefix of the full run"
              + (f" (on average {100 * sum(held) / len(held):.0f} % of its state rows)" if held else ""))
        for p in problems[:20]:
            print("  " + p)
        return 0 if prefix == files else 1


if __name__ == "__main__":
    sys.exit(main())
