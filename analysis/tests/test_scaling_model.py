"""scripts/scaling_model.py, the model of a network over many ranks that the README quotes: its
terms follow its documented formulas, and bad input is refused."""
import math
import re
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "scripts" / "scaling_model.py"


def model(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def rows(out):
    """{(latency us, ranks): (compute, receive, exchange, wall, efficiency %)} from the table."""
    table = {}
    for m in re.finditer(r"^\s+([\d.]+)us\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)%", out, re.M):
        table[(float(m.group(1)), int(m.group(2)))] = tuple(float(m.group(k)) for k in range(3, 8))
    return table


def test_terms_follow_the_formulas():
    r = model("--per-event-ns", "5", "--per-spike-ns", "100", "--neurons", "1e5", "--synapses-per-neuron", "1000",
              "--rate-hz", "10", "--d-min-ms", "1", "--latency-us", "2", "--bandwidth-gbs", "10",
              "--ranks", "1", "64")
    assert r.returncode == 0, r.stderr
    table = rows(r.stdout)
    events, spikes = 1e5 * 1000 * 10, 1e5 * 10
    compute, receive, exchange, wall, eff = table[(2.0, 64)]
    # The table prints milliseconds: 0.5 ms is its rounding.
    assert math.isclose(compute, events * 5e-9 / 64, abs_tol=5e-4)
    assert math.isclose(receive, spikes * 100e-9, abs_tol=5e-4)
    # 1000 intervals x (2 collectives x 2 us x log2 64 steps + 1000 spikes x 16 B x 63/64 / 10 GB/s)
    assert math.isclose(exchange, 1000 * (2 * 2e-6 * 6 + 1e3 * 16 * 63 / 64 / 1e10), abs_tol=5e-4)
    serial = table[(2.0, 1)]
    assert serial[2] == 0 and serial[4] == 100
    assert math.isclose(eff, 100 * serial[3] / (64 * wall), abs_tol=1)
    # The knee: the ranks at which a rank's share of the kicks costs what every spike costs it.
    assert re.search(r"at R ~ 50\b", r.stdout)
    # Memory per rank at 64 ranks: 10^8 synapses x 7 bytes (3-byte targets above 65,536 units) / 64,
    # and 10^5 units x (152 bytes / 64 + 64 bytes).
    m = re.search(r"^\s+2\.0us\s+64\s.*?([\d.]+) GiB\s+([\d.]+) GiB", r.stdout, re.M)
    assert m, r.stdout
    assert math.isclose(float(m.group(1)), 1e8 * 7 / 64 / 2**30, abs_tol=0.005)
    assert math.isclose(float(m.group(2)), 1e5 * (152 / 64 + 64) / 2**30, abs_tol=0.0005)


def test_the_check_compares_two_partitions_with_the_measurement():
    r = model("--per-event-ns", "6", "--per-spike-ns", "0.001", "--check", "net:1e4:500:50:1.58")
    assert r.returncode == 0, r.stderr
    # Negligible per-spike cost: the model's 2 partitions take half the serial time.
    assert re.search(r"check, net: the model gives 2\.00x for 2 partitions; measured 1\.58x", r.stdout)


def test_bad_input_is_refused():
    for bad in (["--per-event-ns", "-1", "--per-spike-ns", "100"], ["--per-event-ns", "5", "--per-spike-ns", "100",
                                                                    "--ranks", "0"]):
        r = model(*bad)
        assert r.returncode == 2 and "must be positive" in r.stderr
