import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "analysis"))


def _ebsim_binary() -> str:
    candidates = [os.environ.get("EBSIM_BIN"), ROOT / "build/release/ebsim", ROOT / "build/asan/ebsim"]
    for c in candidates:
        if c and pathlib.Path(c).is_file():
            return str(c)
    found = shutil.which("ebsim")
    if found:
        return found
    pytest.fail("no ebsim binary: build it (scripts/test.sh) or set EBSIM_BIN")


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
