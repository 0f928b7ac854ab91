"""Intervals over independent replicates, as ebsim's summaries give them (sim/run/sweep_stats.hpp)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def mean_ci(values) -> tuple[float, float, int]:
    """(mean, 95 % half-width, n) of the finite values: Student t with n - 1 degrees of freedom,
    t_{0.975, n-1} sd / sqrt(n). The half-width is NaN for n < 2; everything is NaN for n = 0."""
    v = np.asarray([x for x in np.asarray(values, dtype=float).ravel() if np.isfinite(x)])
    n = len(v)
    if n == 0:
        return math.nan, math.nan, 0
    if n == 1:
        return float(v[0]), math.nan, 1
    return float(v.mean()), float(stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / math.sqrt(n)), n
