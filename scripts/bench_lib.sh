# Helpers the benchmark scripts share (sourced, not run).
# The median of the numbers given as arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# The mean of the numbers given as arguments with its 95 % Student t interval: "mean ± half-width (n = N)".
mean_ci() {
  /usr/bin/python3 -c '
import statistics, sys
from scipy.stats import t
x = [float(a) for a in sys.argv[1:]]
n = len(x)
half = t.ppf(0.975, n - 1) * statistics.stdev(x) / n ** 0.5 if n > 1 else float("nan")
print(f"{statistics.mean(x):.3f} ± {half:.3f} (n = {n})")' "$@"
}
