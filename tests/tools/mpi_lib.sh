# Helpers the MPI test scripts share (sourced, not run): they use the caller's `mpirun` (array),
# `bin`, `py`, `work`, `here` and `fail`.

# Whether file $2 holds what file $1 (digested once into $1.digest) holds, every dataset and
# attribute but the wall-clock and provenance ones (tests/tools/h5_digest.py); prints
# "$3 identical to $4 (N objects)" or fails with the first differences.
same_file() {
  [[ -e "$1.digest" ]] || "$py" "$here/h5_digest.py" "$1" --out "$1.digest"
  "$py" "$here/h5_digest.py" "$2" --out "$2.digest"
  if "$py" "$here/h5_digest.py" --compare "$1.digest" "$2.digest" >/dev/null; then
    echo "$3 identical to $4 ($(wc -l <"$1.digest") objects)"
  else
    fail "$3 DIFFERS from $4"
    "$py" "$here/h5_digest.py" --compare "$1.digest" "$2.digest" | tail -5
  fi
}

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
