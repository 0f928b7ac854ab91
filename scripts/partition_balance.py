#!/usr/bin/env python3
"""How evenly a network's work divides over P partitions: contiguous blocks against round-robin.

The partitioned engine (sim/core/partitioned_engine.hpp) gives each of P partitions a contiguous
block of units, because CSR rows are sorted by target, so a
partition's share of a row is one sub-range (no per-partition copy of the synapses). Round-robin
(unit u to partition u mod P, NEST's choice) would need a CSR per partition, but spreads every
population over every partition. What decides between them is the load balance, and that depends
on the network: this script measures it from a run.

It runs CONFIG once (serial engine, every spike and the initial weights recorded; its `sweep` and
`record` sections are replaced), then counts, for every interval of d_min (the shortest delay:
the partitions meet at each interval's end), each partition's work under four layouts:
  equal        P blocks of equal unit counts, in config order (the engine before 2026-12-02)
  engine       the engine's: P blocks cut at equal estimated work (PartitionedEngine::bounds; the
               estimate from each population's mean in-degree here, its expected one there)
  round-robin  unit u to partition u mod P
  hindsight    P blocks cut where the run's own work splits evenly
Work of a partition in an interval = c_event x the kicks its units receive there (each spike's
kicks land one delay after it; symmetric and symmetrised projections kick both ways)
+ c_candidate x its units' thinning candidates (r_max d_min per unit: their expectation)
+ c_spike x every spike handed over (all partitions pay it, whatever they own).
Per-synapse delays (delay ranges) are counted at their projection's shortest delay.
The wall time of an interval is its busiest partition's work; the speed-up of a layout is the
serial work (every spike paid once) over the sum of the intervals' wall times, its efficiency the
speed-up over P.
Costs default to the README's measurements on this machine (5.5 ns per synaptic event and 57 ns
per spike per partition on random_10k; 100 ns per candidate, an estimate: the state, a uniform,
an exponential and the tree's path). The counts are exact for the run; the costs are the model.

  /usr/bin/python3 scripts/partition_balance.py configs/bench/random_10k.yaml [--set KEY=VALUE ...]
      [--partitions 2 4 16] [--ebsim build/release/ebsim] [--event-ns 5.5] [--candidate-ns 100]
      [--spike-ns 57]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def quantity(v, units):
    """'200 ms' -> 200.0 in the first unit of `units` ({suffix: scale})."""
    s = str(v).strip()
    for suffix, scale in units.items():
        if s.endswith(suffix):
            return float(s[: -len(suffix)]) * scale
    return float(s)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def run(ebsim, cfg, sets, tmp):
    """Runs cfg once, every spike and the initial weights recorded; returns the file's path."""
    cfg = dict(cfg)
    cfg.pop("sweep", None)
    cfg["protocol"] = dict(cfg["protocol"], trials=1)
    cfg["record"] = {"spikes": {"populations": "all"}, "weights": True}
    out = os.path.join(tmp, "balance.h5")
    cfg["output"] = {"path": out}
    path = os.path.join(tmp, "balance.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    args = [ebsim, "run", path, "-o", out, "--force", "--jobs", "1"]
    for s in sets:
        args += ["--set", s]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"partition_balance.py: ebsim failed:\n{r.stderr}")
    # ebsim's own count of synaptic events, to check ours: events per second x loop seconds.
    rate = re.search(r"synaptic events per second: ([\d.e+-]+)", r.stdout)
    loop = re.search(r"simulation loop ([\d.e+-]+) s", r.stdout)
    return out, float(rate.group(1)) * float(loop.group(1)) if rate and loop else None


def read(h5, cfg):
    """Units in config order (the engine's global order), the projections' synapses as global
    (sender, receiver, delay) for each direction that kicks, and the spikes."""
    order = list(cfg["populations"])
    offset, n = {}, 0
    for p in order:
        offset[p], n = n, n + len(h5[f"nodes/{p}/node_id"])
    directions, d_min = [], np.inf
    for name, g in h5["weights/initial"].items():
        pre = g["pre"][:].astype(np.int64) + offset[text(g.attrs["source"])]
        post = g["post"][:].astype(np.int64) + offset[text(g.attrs["target"])]
        delay = float(g.attrs["delay_ms"])  # per-synapse delays: the shortest (see the header)
        d_min = min(d_min, delay)
        if float(g.attrs["gain_forward"]) != 0:
            directions.append((pre, post, delay))
        if float(g.attrs["gain_backward"]) != 0:
            directions.append((post, pre, delay))
    units, times = [np.zeros(0, np.int64)], [np.zeros(0)]
    for p in order:
        if f"spikes/{p}" in h5:
            units.append(h5[f"spikes/{p}/node_ids"][:].astype(np.int64) + offset[p])
            times.append(h5[f"spikes/{p}/timestamps"][:])
    sizes = np.array([len(h5[f"nodes/{p}/node_id"]) for p in order])
    return (n, sizes, directions, d_min, np.concatenate(units), np.concatenate(times),
            float(h5.attrs["trial_duration_ms"]))


def cut(cost_unit, p):
    """P contiguous blocks of about equal total cost."""
    cumulative = np.cumsum(cost_unit) - cost_unit / 2  # each unit at the middle of its own work
    return np.minimum((cumulative / cost_unit.sum() * p).astype(np.int64), p - 1)


def layouts(n, p, cost_unit, static_cost):
    """{name: partition of every unit}."""
    u = np.arange(n)
    return {"equal": (u * p) // n, "engine": cut(static_cost, p), "round-robin": u % p, "hindsight": cut(cost_unit, p)}


def wall(part, p, n, directions, d_min, units, times, intervals, c):
    """(wall time: the busiest partition's work summed over intervals, that partition's share of all
    work) for one layout."""
    work = np.zeros((intervals, p))
    for sender, receiver, delay in directions:
        # Synapses from each sender into each partition; every spike of the sender adds its row.
        m = np.bincount(sender * p + part[receiver], minlength=n * p).reshape(n, p).astype(float)
        lands = times + delay <= c["duration"]  # the kicks the run delivers
        landing = ((times[lands] + delay) / d_min).astype(np.int64)
        np.add.at(work, landing, c["event"] * m[units[lands]])
    work += c["candidate"] * c["candidates"] * np.bincount(part, minlength=p)  # each interval, its units
    spikes = np.bincount(np.minimum((times / d_min).astype(np.int64), intervals - 1), minlength=intervals)
    work += c["spike"] * spikes[:, None]  # every partition is handed every spike
    return work.max(axis=1).sum(), work.sum(axis=0).max() / work.sum()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--set", action="append", default=[], dest="sets", metavar="KEY=VALUE")
    ap.add_argument("--partitions", type=int, nargs="+", default=[2, 4, 16])
    ap.add_argument("--ebsim", default=os.path.join(ROOT, "build", "release", "ebsim"))
    ap.add_argument("--event-ns", type=float, default=5.5)
    ap.add_argument("--candidate-ns", type=float, default=100.0)
    ap.add_argument("--spike-ns", type=float, default=57.0)
    a = ap.parse_args(argv)
    if min(a.partitions) < 1 or min(a.event_ns, a.candidate_ns, a.spike_ns) < 0:
        ap.error("partitions must be at least 1 and costs not negative")
    with open(a.config) as f:
        cfg = yaml.safe_load(f)
    with tempfile.TemporaryDirectory() as tmp:
        path, ebsim_events = run(a.ebsim, cfg, a.sets, tmp)
        with h5py.File(path, "r") as h5:
            n, sizes, directions, d_min, units, times, duration = read(h5, cfg)
    if max(a.partitions) > n:
        sys.exit(f"partition_balance.py: {max(a.partitions)} partitions for {n} units")
    r_max_hz = quantity(cfg["model"]["r_max"], {"kHz": 1000.0, "Hz": 1.0})
    for s in a.sets:  # the overrides that change what the counts need
        key, _, value = s.partition("=")
        if key == "model.r_max":
            r_max_hz = quantity(value, {"kHz": 1000.0, "Hz": 1.0})
    intervals = int(duration / d_min) + 1
    c = {"event": a.event_ns * 1e-9, "candidate": a.candidate_ns * 1e-9, "spike": a.spike_ns * 1e-9,
         "candidates": r_max_hz / 1000.0 * d_min, "duration": duration}
    kicks_unit = np.zeros(n)
    for sender, receiver, delay in directions:
        spikes_of = np.bincount(units[times + delay <= duration], minlength=n)  # kicks delivered in the run
        kicks_unit += np.bincount(receiver, weights=spikes_of[sender], minlength=n)
    cost_unit = c["event"] * kicks_unit + c["candidate"] * c["candidates"] * intervals
    print(f"partition_balance: {a.config} {' '.join(a.sets)}: {n} units, {len(units)} spikes, "
          f"{kicks_unit.sum():.6g} kicks (ebsim's count: {ebsim_events or float('nan'):.6g}), d_min = {d_min:g} ms "
          f"({intervals} intervals)")
    print(f"  costs: {a.event_ns:g} ns per kick, {a.candidate_ns:g} ns per candidate, {a.spike_ns:g} ns per "
          f"spike per partition; the serial run's work: {cost_unit.sum() + c['spike'] * len(units):.3f} s")
    print("  speed-up: the serial work over the sum of each interval's busiest partition's work; "
          "efficiency: speed-up / P; busiest share: the busiest partition's share of all work")
    # The engine's estimate (sim/core/engine_params.cpp, partition_costs): per unit 100 ns of
    # candidates and 5.5 ns per expected kick, its population's mean in-degree (both directions)
    # with every sender at r_max / 2.
    in_degree = np.zeros(n)
    for _, receiver, _ in directions:
        in_degree += np.bincount(receiver, minlength=n)
    population = np.repeat(np.arange(len(sizes)), sizes)
    mean_in = np.bincount(population, weights=in_degree) / np.maximum(sizes, 1)
    static_cost = 100.0 + 5.5 * mean_in[population] / 2
    serial = cost_unit.sum() + c["spike"] * len(units)
    print(f"  {'partitions':>10} {'layout':>12} {'speed-up':>9} {'efficiency':>10} {'busiest share':>14}")
    for p in a.partitions:
        for name, part in layouts(n, p, cost_unit, static_cost).items():
            t, busiest = wall(part, p, n, directions, d_min, units, times, intervals, c)
            print(f"  {p:>10} {name:>12} {serial / t:>8.2f}x {serial / (p * t):>9.1%} {busiest:>13.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
