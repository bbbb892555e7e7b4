"""Summaries of timing samples: median, p95, p99, and ratios between paths."""
import math
from dataclasses import dataclass


def percentile(sorted_values, fraction):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError('no samples')
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


@dataclass(frozen=True)
class Summary:
    """Latency figures of one path, in milliseconds."""

    count: int
    median: float
    p95: float
    p99: float
    minimum: float
    maximum: float

    @classmethod
    def of(cls, samples_ms):
        values = sorted(samples_ms)
        return cls(count=len(values), median=percentile(values, 0.5),
                   p95=percentile(values, 0.95), p99=percentile(values, 0.99),
                   minimum=values[0], maximum=values[-1])


def ratio(numerator, denominator):
    """numerator / denominator, or NaN when the denominator is zero."""
    return numerator / denominator if denominator else float('nan')


def chi_square(counts, expected):
    """Pearson's statistic for observed `counts` against one `expected` count."""
    return sum((observed - expected) ** 2 / expected for observed in counts)


def chi_square_p_value(statistic, degrees_of_freedom):
    """P(X >= statistic) for X ~ chi-square(dof): the regularized upper
    incomplete gamma function Q(dof/2, statistic/2)."""
    return _gamma_q(degrees_of_freedom / 2, statistic / 2)


def _gamma_q(a, x):
    if x <= 0:
        return 1.0
    if x < a + 1:  # series for P, converges fast here
        term = total = 1.0 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a))
    # continued fraction for Q (modified Lentz)
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h
