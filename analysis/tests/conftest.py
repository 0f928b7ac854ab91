import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "analysis"))


def _newest_source_mtime() -> float:
    sources = [p for d in ("sim", "models") for p in (ROOT / d).rglob("*") if p.suffix in (".cpp", ".hpp")]
    return max(p.stat().st_mtime for p in sources)


def _ebsim_binary() -> str:
    """The binary under test: EBSIM_BIN (scripts/test.sh sets it to the build it just made) or, for
    a bare `pytest`, build/release/ebsim then build/asan/ebsim, skipping one that is older than the
    sources (a stale build would test yesterday's simulator). Never a copy found on PATH."""
    chosen = os.environ.get("EBSIM_BIN")
    if chosen:
        if not pathlib.Path(chosen).is_file():
            pytest.fail(f"EBSIM_BIN={chosen} is not a file")
        return chosen
    newest = _newest_source_mtime()
    stale = []
    for c in (ROOT / "build/release/ebsim", ROOT / "build/asan/ebsim"):
        if c.is_file():
            if c.stat().st_mtime >= newest:
                return str(c)
            stale.append(str(c))
    pytest.fail("no up-to-date ebsim binary" + (f" ({', '.join(stale)} older than the sources)" if stale else "")
                + ": build it (scripts/test.sh) or set EBSIM_BIN")


@pytest.fixture(scope="session")
def ebsim():
    """Runs the ebsim CLI; returns the CompletedProcess and fails the test on a non-zero exit."""
    binary = _ebsim_binary()

    def run(*args, check=True):
        proc = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
        if check and proc.returncode != 0:
            pytest.fail(f"ebsim {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
        return proc

    return run


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture
def saved_figures(monkeypatch):
    """Every matplotlib figure saved during the test, as (figure, path): the tests look at what was
    drawn (axes, labels, the plotted numbers), not only at the size of the PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    saved = []
    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        saved.append((self, pathlib.Path(fname)))
        return original(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", savefig)
    return saved


def assert_labelled(fig):
    """Every panel of `fig` has both axis labels; the file exists and is a PNG."""
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel(), ax
