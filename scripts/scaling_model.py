#!/usr/bin/env python3
"""A model of one network split over many MPI ranks, from costs measured on this machine.

Where the time of a simulated second goes with R ranks (one partition each, the way
sim/core/partitioned_engine.cpp works today):
  compute  E c_event / R        E = N K f synaptic events; each rank kicks only its own units
  receive  S c_spike            S = N f spikes; every spike reaches every rank (one all-gather per
                                interval) and each partition pays for each one: its delivery
                                event, the binary searches for its share of the rows
  exchange (1/d) [2 alpha ceil(log2 R) + S d b (R - 1) / (R beta)]
                                two collectives per interval of d = d_min (the byte counts, then
                                the spikes, b = 16 bytes each), recursive doubling: alpha per step
The serial engine takes E c_event + S c_spike. Efficiency = T(1) / (R T(R)).
Output: rank 0 writes the one file. It already receives every spike (the all-gather), so gathering
costs nothing more; writing every spike costs it S c_write more per simulated second (c_write:
README "Recording costs little", (1.436 - 1.365) s / 502,066 spikes = 141 ns, measured by
scripts/bench_engine.sh on 2026-12-01), and the other ranks wait for it at the next exchange.
Not in the model: load imbalance between ranks, and the time a network takes to build.
Memory per rank (a plain run, whose synapses divide over the ranks: README, One network over two
cores): its share of the synapses, and per unit the engine state of its own units (152 bytes, a
partition holds its units only) plus what every rank holds for every unit: the bias, the initial
state, a phase's drive, the row pointer and the partition's share of the row (64 bytes; the
constants of sim/run/resources.cpp, measured with heaptrack on a 10^6-unit run).

  /usr/bin/python3 scripts/scaling_model.py --per-event-ns 6.2 --per-spike-ns 142
    [--neurons 1e6] [--synapses-per-neuron 1e4] [--rate-hz 10] [--d-min-ms 1]
    [--latency-us 1.5 5] [--bandwidth-gbs 10] [--ranks 1 16 256 1024] [--write-per-spike-ns 141]
    [--check NAME:N:K:RATE:SPEEDUP[:PER_EVENT_NS:PER_SPIKE_NS] ...]
        (a measured 2-partition speed-up beside the model's, from that network's own costs if given)
"""
import argparse
import math
import sys

SPIKE_BYTES = 16  # sim/core/engine.hpp: Spike {double time; uint32 unit} with padding
ENGINE_BYTES_PER_UNIT = 152  # divided over the ranks
RANK_BYTES_PER_UNIT = 64  # on every rank


def synapse_bytes(n):
    """A float weight and a target packed to the population's size (models/unit_index.hpp)."""
    return 4 + (2 if n <= 2**16 else 3 if n <= 2**24 else 4)


def unit_bytes(n, ranks):
    """Per-unit memory on one of `ranks` ranks."""
    return n * (ENGINE_BYTES_PER_UNIT / ranks + RANK_BYTES_PER_UNIT)


def seconds(ranks, n, k, rate, d_ms, c_event, c_spike, alpha, beta):
    """Wall seconds per simulated second on `ranks` ranks, as (compute, receive, exchange)."""
    events, spikes, d = n * k * rate, n * rate, d_ms * 1e-3
    compute = events * c_event / ranks
    receive = spikes * c_spike
    exchange = 0.0
    if ranks > 1:
        steps = math.ceil(math.log2(ranks))
        exchange = (1.0 / d) * (2 * alpha * steps + spikes * d * SPIKE_BYTES * (ranks - 1) / ranks / beta)
    return compute, receive, exchange


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-event-ns", type=float, required=True)
    ap.add_argument("--per-spike-ns", type=float, required=True)
    ap.add_argument("--neurons", type=float, default=1e6)
    ap.add_argument("--synapses-per-neuron", type=float, default=1e4)
    ap.add_argument("--rate-hz", type=float, default=10.0)
    ap.add_argument("--d-min-ms", type=float, default=1.0)
    ap.add_argument("--latency-us", type=float, nargs="+", default=[1.5, 5.0])
    ap.add_argument("--bandwidth-gbs", type=float, default=10.0)
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 16, 256, 1024])
    ap.add_argument("--write-per-spike-ns", type=float, default=141.0)
    ap.add_argument("--check", nargs="*", default=[])
    a = ap.parse_args(argv)
    if min(a.per_event_ns, a.per_spike_ns, a.neurons, a.synapses_per_neuron, a.rate_hz, a.d_min_ms,
           a.bandwidth_gbs, a.write_per_spike_ns, *a.latency_us) <= 0 or min(a.ranks) < 1:
        ap.error("every cost, size, rate, delay, latency and rank count must be positive")
    c_event, c_spike, beta = a.per_event_ns * 1e-9, a.per_spike_ns * 1e-9, a.bandwidth_gbs * 1e9
    n, k = a.neurons, a.synapses_per_neuron
    print(f"scaling model: N = {n:.3g} units, K = {k:.3g} synapses each, {a.rate_hz:g} Hz, d_min = "
          f"{a.d_min_ms:g} ms; measured {a.per_event_ns:.2f} ns per synaptic event, {a.per_spike_ns:.1f} ns "
          f"per spike per partition; assumed interconnect {a.bandwidth_gbs:g} GB/s")
    for check in a.check:  # the model against a measured 2-partition run (no interconnect)
        fields = check.split(":")
        if len(fields) not in (5, 7):
            ap.error(f"--check {check}: expected NAME:N:K:RATE:SPEEDUP[:PER_EVENT_NS:PER_SPIKE_NS]")
        name, cn, ck, crate, measured = fields[:5]
        ce, cs = (float(fields[5]) * 1e-9, float(fields[6]) * 1e-9) if len(fields) == 7 else (c_event, c_spike)
        one = sum(seconds(1, float(cn), float(ck), float(crate), a.d_min_ms, ce, cs, 0, beta))
        two = sum(seconds(2, float(cn), float(ck), float(crate), a.d_min_ms, ce, cs, 0, beta)[:2])
        print(f"  check, {name}: the model gives {one / two:.2f}x for 2 partitions; measured {float(measured):.2f}x")
    serial = sum(seconds(1, n, k, a.rate_hz, a.d_min_ms, c_event, c_spike, 0, beta))
    print(f"  serial engine: {serial:.0f} s per simulated second; memory for the synapses alone "
          f"{n * k * synapse_bytes(n) / 2**30:.0f} GiB")
    print(f"  {'latency':>8} {'ranks':>6} {'compute s':>10} {'receive s':>10} {'exchange s':>11} "
          f"{'wall s':>8} {'efficiency':>10} {'synapses/rank':>14} {'units/rank':>11} "
          f"{'all spikes written: wall s, eff.':>33}")
    write = n * a.rate_hz * a.write_per_spike_ns * 1e-9
    for alpha_us in a.latency_us:
        for r in a.ranks:
            c, rc, x = seconds(r, n, k, a.rate_hz, a.d_min_ms, c_event, c_spike, alpha_us * 1e-6, beta)
            wall = c + rc + x
            print(f"  {alpha_us:>6.1f}us {r:>6} {c:>10.3f} {rc:>10.3f} {x:>11.3f} {wall:>8.3f} "
                  f"{serial / (r * wall):>9.0%} {n * k * synapse_bytes(n) / r / 2**30:>10.2f} GiB "
                  f"{unit_bytes(n, r) / 2**30:>7.3f} GiB {wall + write:>22.3f} {(serial + write) / (r * (wall + write)):>9.0%}")
    print(f"  writing every spike on rank 0: {write:.3f} s per simulated second, whatever R")
    print("  limit as R grows: the receive term, every spike on every rank: efficiency falls once "
          f"E c_event / R nears S c_spike, at R ~ {k * a.per_event_ns / a.per_spike_ns:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
