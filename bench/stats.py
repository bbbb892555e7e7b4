"""Summaries of timing samples: median, p95, p99, and ratios between paths."""
from dataclasses import dataclass

import numpy as np


def percentile(sorted_values, fraction):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        raise ValueError('no samples')
    return float(np.percentile(sorted_values, fraction * 100))


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
