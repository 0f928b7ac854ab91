"""scripts/partition_balance.py, the load-balance measurement behind the partitioned engine's
choice of contiguous blocks (docs/ARCHITECTURE.md): its kick count is ebsim's own, its speed-ups are
bounded as they must be, and it tells a layered network's imbalance from a homogeneous one's."""
import re
import subprocess
import sys

from conftest import ROOT, _ebsim_binary

SCRIPT = ROOT / "scripts" / "partition_balance.py"


def balance(*args):
    r = subprocess.run([sys.executable, str(SCRIPT), *map(str, args), "--ebsim", _ebsim_binary()],
                       capture_output=True, text=True)
    return r


def table(out):
    """{(partitions, layout): (speed-up, efficiency %, busiest share %)}."""
    rows = {}
    for m in re.finditer(r"^\s+(\d+)\s+([a-z-]+)\s+([\d.]+)x\s+([\d.]+)%\s+([\d.]+)%", out, re.M):
        rows[(int(m.group(1)), m.group(2))] = (float(m.group(3)), float(m.group(4)), float(m.group(5)))
    return rows


def test_kicks_are_ebsims_synaptic_events_and_speedups_are_bounded():
    r = balance(ROOT / "configs/bench/random_10k.yaml", "--set", "populations.n.size=2000", "--set",
                "protocol.phases.0.duration=100ms", "--partitions", "2", "4")
    assert r.returncode == 0, r.stderr
    m = re.search(r"([\d.e+]+) kicks \(ebsim's count: ([\d.e+]+)\)", r.stdout)
    assert m, r.stdout
    # ebsim's count is events per second x loop seconds, both printed rounded (the loop time to 4
    # significant digits): within 0.5 %.
    assert abs(float(m.group(1)) / float(m.group(2)) - 1) < 5e-3
    rows = table(r.stdout)
    assert len(rows) == 8
    for (p, _), (speedup, eff, busiest) in rows.items():
        assert 0 < speedup <= p and abs(eff - 100 * speedup / p) < 0.1
        assert busiest >= 100 / p - 0.05  # the busiest partition has at least its share
    # One homogeneous random population: every layout divides alike (within a few percent).
    for p in (2, 4):
        speeds = [rows[(p, name)][0] for name in ("equal", "engine", "round-robin", "hindsight")]
        assert max(speeds) - min(speeds) < 0.05 * p


def test_a_layered_network_divides_worse_in_equal_blocks_than_in_the_engines():
    # theory_check's layers (x 10, h2 20, h1 20, y 10) scaled by 10, all-to-all and symmetric:
    # four blocks of 150 units split the layers unevenly (the clamped inputs receive only backward
    # kicks from h2; h2 and h1 are kicked from both sides); the engine's blocks, cut at equal
    # estimated work, and round-robin, which spreads every layer, divide it better.
    sets = []
    for pop, size in (("x", 100), ("h2", 200), ("h1", 200), ("y", 100)):
        sets += ["--set", f"populations.{pop}.size={size}"]
    r = balance(ROOT / "configs/theory_check.yaml", *sets, "--set", "protocol.phases.0.duration=100ms",
                "--partitions", "4")
    assert r.returncode == 0, r.stderr
    rows = table(r.stdout)
    equal, engine, robin = rows[(4, "equal")], rows[(4, "engine")], rows[(4, "round-robin")]
    assert equal[2] > 26.0  # the busiest equal block does more than a quarter of the work
    assert engine[0] > equal[0] + 0.1 and robin[0] > equal[0] + 0.2


def test_bad_input_is_refused():
    r = balance(ROOT / "configs/bench/random_10k.yaml", "--partitions", "0")
    assert r.returncode == 2 and "partitions must be at least 1" in r.stderr
