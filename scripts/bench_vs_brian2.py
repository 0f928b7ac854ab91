#!/usr/bin/python3
"""ebsim beside Brian2 on one core: the same network, alternating runs, loop times and their ratio.

The network is configs/bench/random_10k.yaml (N = 10,000 units, connection probability 0.05, so
K = 500 synapses per unit on average, W ~ Normal(0, 1/K), bias 0, tau = 10 ms, r_max = 100 Hz,
beta1 = -0.5, delay 1 ms, 1 s), in Brian2 2.5 (Debian's python3-brian) with the cpp_standalone
device (C++ generated and compiled once, then run as a program):

    ds/dt = -s / tau                      (b = 0: between spikes each state decays to 0)
    rho = clip(s + 0.5, 0, 1)             (the piecewise-linear rho, beta1 = -0.5)
    threshold: rand() < r_max rho dt      (Poisson spikes of rate r_max rho, on the dt grid)
    on_pre: s_post += rho'(s_post) w / (r_max tau),  rho' = 1 inside (-0.5, 0.5), else 0

ebsim integrates the same model exactly between events (its spikes are thinned Poisson times, not
a grid); Brian2 uses dt = 0.1 ms. Each side keeps every spike (ebsim writes them to its HDF5 file;
Brian2 in a SpikeMonitor), so the two runs do the same work, and the spike counts give the
agreement check: the mean rate within 2 % and the per-unit rate distributions' quantiles.

Runs alternate, ebsim then Brian2, `--rounds` times (default 3). Loop time only on each side:
Brian2's `device._last_run_time` (the time inside its run loop) and ebsim's simulation loop (its
summary's `simulation loop`), each beside the whole process's time (Brian2's code generation and
compilation included, which a user pays on the first run, and ebsim's network construction and
file writing). Printed: per round and as medians, the loop time, synaptic events, events per second,
and the median ratio of loop times. Asserts nothing but the agreement (exit 1 when it fails).

    /usr/bin/python3 scripts/bench_vs_brian2.py --ebsim build/bench/ebsim [--rounds 3]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

N, P_CONNECT, W_SD = 10_000, 0.05, 0.0447213595  # configs/bench/random_10k.yaml
TAU_MS, R_MAX_HZ, DELAY_MS, DURATION_S, DT_MS = 10.0, 100.0, 1.0, 1.0, 0.1
CONFIG = "configs/bench/random_10k.yaml"


def run_ebsim(binary, out_dir, index):
    """One ebsim run with every spike recorded: (loop s, process s, events, counts per unit)."""
    out = os.path.join(out_dir, f"ebsim_{index}.h5")
    start = time.perf_counter()
    proc = subprocess.run(
        [binary, "run", CONFIG, "-o", out, "--jobs", "1", "--set", "record.spikes.populations=all"],
        capture_output=True, text=True, check=False)
    process_s = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"bench_vs_brian2: ebsim failed ({proc.returncode}):\n{proc.stderr}")
    loop = re.search(r"simulation loop ([0-9.eE+-]+) s", proc.stdout)
    events = re.search(r"synaptic events delivered: ([0-9]+)", proc.stdout)
    if not loop or not events:
        sys.exit(f"bench_vs_brian2: ebsim's summary lacks the loop time or the event count:\n{proc.stdout}")
    with h5py.File(out, "r") as f:
        ids = f["/spikes/n/node_ids"][()].astype(np.int64)
    os.remove(out)
    return float(loop.group(1)), process_s, int(events.group(1)), np.bincount(ids, minlength=N)


class Brian2Side:
    """The Brian2 network, generated and compiled once (the first run), then run again as it is."""

    def __init__(self, work_dir, seed):
        import brian2 as b2  # here, so that --help works without Brian2 installed
        self.b2 = b2
        self.directory = os.path.join(work_dir, "brian2_standalone")
        start = time.perf_counter()
        b2.set_device("cpp_standalone", directory=self.directory, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0  # one core, as ebsim
        b2.defaultclock.dt = DT_MS * b2.ms
        b2.seed(seed)
        tau, r_max = TAU_MS * b2.ms, R_MAX_HZ * b2.Hz
        group = b2.NeuronGroup(
            N, "ds/dt = -s / tau : 1\nrho = clip(s + 0.5, 0, 1) : 1",
            threshold="rand() < r_max * rho * dt", method="exact",
            namespace={"tau": tau, "r_max": r_max})
        synapses = b2.Synapses(group, group, "w : 1",
                               on_pre="s_post += int(s_post > -0.5 and s_post < 0.5) * w / (r_max * tau)",
                               delay=DELAY_MS * b2.ms, namespace={"tau": tau, "r_max": r_max})
        synapses.connect(p=P_CONNECT)
        synapses.w = f"{W_SD} * randn()"
        self.spikes = b2.SpikeMonitor(group, record=True)
        self.synapses = synapses
        b2.Network(group, synapses, self.spikes).run(DURATION_S * b2.second)
        b2.device.build(directory=self.directory, compile=True, run=True, with_output=False)
        self.first_process_s = time.perf_counter() - start  # generation, compilation and one run
        self.runs = 0

    def run(self):
        """(loop s, process s, events, counts per unit); the first call reports the built run."""
        b2 = self.b2
        if self.runs == 0:
            process_s = self.first_process_s
        else:
            start = time.perf_counter()
            b2.device.run(self.directory, False, [])
            process_s = time.perf_counter() - start
        self.runs += 1
        counts = np.bincount(np.asarray(self.spikes.i[:]), minlength=N)
        out_degree = np.bincount(np.asarray(self.synapses.i[:]), minlength=N)
        # Spikes in the last delay arrive after the end: not delivered (as in ebsim's count).
        late = np.asarray(self.spikes.t[:] / b2.ms) > DURATION_S * 1000.0 - DELAY_MS
        delivered = int(np.dot(counts, out_degree) - out_degree[np.asarray(self.spikes.i[:])[late]].sum())
        return float(b2.device._last_run_time), process_s, delivered, counts


def agreement(ebsim_counts, brian_counts):
    """The check that speed was not bought with another model. Rates in Hz per unit (1 s runs)."""
    from scipy import stats
    a, b = np.asarray(ebsim_counts, float) / DURATION_S, np.asarray(brian_counts, float) / DURATION_S
    mean_gap = abs(a.mean() - b.mean()) / b.mean()
    qs = [0.05, 0.25, 0.5, 0.75, 0.95]
    qa, qb = np.quantile(a, qs), np.quantile(b, qs)
    ks = stats.ks_2samp(a, b)
    print("\nagreement (rates per unit over the whole run, Hz; ebsim vs Brian2, last round):")
    print(f"  mean rate {a.mean():.3f} vs {b.mean():.3f} Hz: relative gap {100 * mean_gap:.2f} % (bar: 2 %)")
    print("  quantiles " + ", ".join(f"q{int(100 * q)} {x:.1f}/{y:.1f}" for q, x, y in zip(qs, qa, qb)))
    print(f"  two-sample Kolmogorov-Smirnov: D = {ks.statistic:.4f}, p = {ks.pvalue:.3g}")
    # Quantile gaps against their sampling spread: each quantile's standard error from the other
    # side's density (the asymptotic sd sqrt(q (1 - q) / n) / f(x_q), f from a histogram), both
    # samples' errors added in quadrature; a gap within 4 combined standard errors passes.
    ok = mean_gap <= 0.02
    for q, x, y in zip(qs, qa, qb):
        se = []
        for sample, xq in ((a, x), (b, y)):
            width = max(np.std(sample) / 10, 1.0)
            density = np.mean(np.abs(sample - xq) <= width / 2) / width
            se.append(np.sqrt(q * (1 - q) / sample.size) / max(density, 1e-12))
        limit = 4 * np.hypot(*se) + 1.0 / DURATION_S  # + one spike: counts are integers
        if abs(x - y) > limit:
            print(f"  q{int(100 * q)}: gap {abs(x - y):.2f} Hz above {limit:.2f} Hz (4 standard errors + 1 Hz)")
            ok = False
    print("  agreement: " + ("passed" if ok else "FAILED"))
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ebsim", default="build/bench/ebsim", help="the ebsim binary (a Release build)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds, ebsim then Brian2 (default 3)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    rows = {"ebsim": [], "Brian2": []}
    with tempfile.TemporaryDirectory(prefix="ebsim_vs_brian2_") as work:
        brian = None
        for r in range(args.rounds):
            rows["ebsim"].append(run_ebsim(args.ebsim, work, r))
            if brian is None:
                brian = Brian2Side(work, seed=1)
            rows["Brian2"].append(brian.run())
            e, b = rows["ebsim"][-1], rows["Brian2"][-1]
            print(f"round {r + 1}: ebsim loop {e[0]:.3f} s ({e[2] / e[0]:.3g} events/s), "
                  f"Brian2 loop {b[0]:.3f} s ({b[2] / b[0]:.3g} events/s), ratio {b[0] / e[0]:.2f}", flush=True)
    print(f"\n{'':8} {'loop s':>8} {'process s':>10} {'synaptic events':>16} {'events/s':>10}  (medians of "
          f"{args.rounds}; Brian2's first process includes generating and compiling its code: "
          f"{rows['Brian2'][0][1]:.1f} s)")
    for side, runs in rows.items():
        loop = statistics.median(x[0] for x in runs)
        proc = statistics.median(x[1] for x in runs)
        events = statistics.median(x[2] for x in runs)
        print(f"{side:8} {loop:8.3f} {proc:10.2f} {events:16.4g} {events / loop:10.3g}")
    ratios = [b[0] / e[0] for e, b in zip(rows["ebsim"], rows["Brian2"])]
    print(f"loop-time ratio Brian2 / ebsim: median {statistics.median(ratios):.2f} "
          f"(rounds: {', '.join(f'{x:.2f}' for x in ratios)}; target >= 3.0)")
    ratio_events = [(e[2] / e[0]) / (b[2] / b[0]) for e, b in zip(rows["ebsim"], rows["Brian2"])]
    print(f"events-per-second ratio ebsim / Brian2: median {statistics.median(ratio_events):.2f}")
    return 0 if agreement(rows["ebsim"][-1][3], rows["Brian2"][-1][3]) else 1


if __name__ == "__main__":
    sys.exit(main())
