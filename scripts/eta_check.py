#!/usr/bin/env python3
"""How honest the progress bar's ETA is: runs `ebsim run ...` on a pseudo-terminal (so the bar is
drawn), reads every redraw's elapsed time and ETA (each printed with ETA_CHECK_VERBOSE=1), and once the run has ended compares each ETA with
the true remaining time (the run's wall time less the redraw's elapsed time). Prints, for the
redraws between 20 % and 95 % of the wall time, the median and worst relative error and how many
are within 25 % (issue 13's bar: within 25 % after the first 20 %). Exits 1 if the run fails.

  /usr/bin/python3 scripts/eta_check.py build/release/ebsim run configs/theory_check.yaml \
      -o /tmp/eta.h5 --force --jobs 2
"""
import os
import pty
import re
import statistics
import sys
import time

REDRAW = re.compile(rb"elapsed ([\d.]+) s  ETA ([\d.]+) s")


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    start = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    chunks = []  # (seconds since start when read, bytes): the pty hands each redraw over at once
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append((time.monotonic() - start, chunk))
    _, status = os.waitpid(pid, 0)
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stdout.write(b"".join(c for _, c in chunks).decode(errors="replace")[-2000:])
        print(f"eta_check: the run failed (exit {code})")
        return 1
    # Each redraw's ETA against the true remaining time from when it was drawn to the process's end
    # (closing the file included: the user waits for it too).
    redraws = [(t, float(m.group(2))) for t, c in chunks for m in REDRAW.finditer(c)]
    if not redraws:
        print("eta_check: no progress bar was drawn")
        return 1
    if os.environ.get("ETA_CHECK_VERBOSE"):
        for t, eta in redraws:
            print(f"  at {t:6.2f} s: ETA {eta:6.2f} s, true {wall - t:6.2f} s")
    errors = [abs(eta - (wall - t)) / (wall - t) for t, eta in redraws if 0.2 * wall <= t <= 0.95 * wall]
    if not errors:
        print(f"eta_check: no redraw between 20 % and 95 % of the {wall:.1f} s run")
        return 1
    within = sum(e <= 0.25 for e in errors)
    print(f"eta_check: wall {wall:.2f} s, {len(redraws)} redraws, {len(errors)} between 20 % and 95 %: relative "
          f"error median {100 * statistics.median(errors):.0f} %, worst {100 * max(errors):.0f} %, "
          f"{within}/{len(errors)} within 25 %")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
