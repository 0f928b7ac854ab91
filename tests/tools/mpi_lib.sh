# Helpers the MPI test scripts share (sourced, not run): they use the caller's `mpirun` (array),
# `bin`, `py`, `work` and `fail`.

# SIGTERM to mpirun (what a batch system sends at the time limit) 4 s into a 2-rank run of config
# $1 (long enough to be running then): every rank stops within 60 s, the exit status is not 0, the
# output ($work/$2.h5) is not written, and rank 0 keeps the partial file marked incomplete.
sigterm_keeps_partial() {
  local cfg="$1" out="$work/$2.h5" err="$work/$2.err" pid code=0
  "${mpirun[@]}" -np 2 "$bin" run "$cfg" -o "$out" --quiet --jobs 1 2>"$err" &
  pid=$!
  sleep 4
  kill -TERM "$pid"
  timeout 60 tail --pid="$pid" -f /dev/null || fail "SIGTERM: mpirun still running after 60 s"
  wait "$pid" || code=$?
  [[ $code != 0 ]] || fail "SIGTERM: exit 0"
  [[ ! -e "$out" ]] || fail "SIGTERM: the output was written"
  if [[ -e "$out.partial" ]]; then
    "$py" - "$out.partial" <<'PY' || fail "SIGTERM: the partial file is not marked incomplete"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert not bool(f.attrs["complete"]), "marked complete"
PY
    echo "SIGTERM to mpirun: exit $code, partial file kept and marked incomplete"
  else
    fail "SIGTERM: no partial file ($(head -3 "$err"))"
  fi
}
