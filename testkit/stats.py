"""Whether picks look uniform: the fleet promises every free unicorn the
same chance."""
from collections.abc import Sequence

import scipy.stats


def uniformity(counts: Sequence[int]) -> tuple[float, float]:
    """Pearson's chi-square of observed `counts` against equal chances, and
    its p-value (len(counts) - 1 degrees of freedom)."""
    result = scipy.stats.chisquare(counts)
    return float(result.statistic), float(result.pvalue)
