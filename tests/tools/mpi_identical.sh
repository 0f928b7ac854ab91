#!/usr/bin/env bash
# A sweep spread over MPI ranks writes the same file as one process: tests/tools/sweeps/spiking.yaml
# (spiking, trials, a two-key grid with replicates), sweeps/plastic.yaml (plastic, continuous) and
# sweeps/chunks.yaml (recordings of several chunks, encoded by the rank that computes them; one run
# nearly all the work, so rank 0 shares its trial ranges with the others)
# run with `mpirun -np R` for R = 1, 2, 3 (and 1 or 2 threads per rank), every dataset and
# attribute compared with a plain one-process run (tests/tools/h5_digest.py). Then what goes wrong:
# a rank that cannot start stops every rank; SIGTERM to mpirun keeps a partial file; a rank killed
# outright ends the job. Every case must end within its timeout: nothing hangs.
#   tests/tools/mpi_identical.sh build/mpi/ebsim
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(realpath "$1")"
py=/usr/bin/python3
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
# As root (CI) Open MPI needs --allow-run-as-root; 3 ranks on 2 cores need --oversubscribe.
mpirun=(mpirun --allow-run-as-root --oversubscribe)
status=0
fail() { echo "FAIL: $*"; status=1; }
source "$here/mpi_lib.sh"  # same_file, sigterm_keeps_partial

for cfg in spiking plastic chunks; do
  "$bin" run "$here/sweeps/$cfg.yaml" -o "$work/$cfg.h5" --quiet --jobs 1
  for layout in "1 1" "2 1" "3 1" "2 2" "3 2"; do
    read -r ranks jobs <<<"$layout"
    out="$work/$cfg-np$ranks-j$jobs.h5"
    timeout 300 "${mpirun[@]}" -np "$ranks" "$bin" run "$here/sweeps/$cfg.yaml" -o "$out" --quiet --jobs "$jobs"
    same_file "$work/$cfg.h5" "$out" "$cfg: mpirun -np $ranks --jobs $jobs" "one process"
  done
done

# A rank that cannot start (here rank 0: the output exists) stops them all, with rank 0's message.
code=0
timeout 60 "${mpirun[@]}" -np 3 "$bin" run "$here/sweeps/spiking.yaml" -o "$work/spiking.h5" --quiet \
  2>"$work/exists.err" || code=$?
if [[ $code == 0 || $code == 124 ]]; then fail "an existing output: exit $code (expected a failure, not a hang)"; fi
grep -q "already exists" "$work/exists.err" || fail "an existing output: no message: $(head -3 "$work/exists.err")"
echo "an existing output: every rank stopped (exit $code), the message is rank 0's"

# A long sweep (sweeps/long.yaml, about 50 s on one core) for the two interruptions.
long="$here/sweeps/long.yaml"

# SIGTERM to mpirun: every rank stops, rank 0 keeps the partial file marked incomplete. Also while
# rank 1 computes trial ranges of a run rank 0 shares (sweeps/long_shared.yaml).
sigterm_keeps_partial "$long" term
sigterm_keeps_partial "$here/sweeps/long_shared.yaml" term_shared

# A rank killed outright (SIGKILL: no chance to say anything): the job ends, no output is written.
"${mpirun[@]}" -np 2 "$bin" run "$long" -o "$work/kill.h5" --quiet --jobs 1 \
  2>"$work/kill.err" &
pid=$!
victim=""
for _ in $(seq 100); do
  for p in $(pgrep -f "ebsim run $long -o $work/kill.h5" || true); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then victim=$p; fi
  done
  [[ -n "$victim" ]] && break
  sleep 0.1
done
if [[ -z "$victim" ]]; then
  fail "SIGKILL: rank 1 not found"
  kill -TERM "$pid" || true
else
  sleep 2
  kill -KILL "$victim"
  code=0
  timeout 60 tail --pid="$pid" -f /dev/null || fail "SIGKILL: mpirun still running after 60 s"
  wait "$pid" || code=$?
  [[ $code != 0 ]] || fail "SIGKILL of rank 1: exit 0"
  [[ ! -e "$work/kill.h5" ]] || fail "SIGKILL of rank 1: the output was written"
  echo "SIGKILL of rank 1: the job ended (exit $code), no output written"
fi
exit $status
