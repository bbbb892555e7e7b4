"""Backoff has full jitter: each sleep is a random share of the capped
exponential step, so rides that failed together do not retry together."""
import random

import pytest

from shared.domain.errors import FleetBusy
from shared.domain.retry import Retryable, RetryPolicy, call_with_retries

POLICY = RetryPolicy(attempts=4, base_delay=0.1, max_delay=0.3)


def always_busy():
    raise Retryable(FleetBusy('busy'))


def test_each_sleep_is_the_random_share_of_its_step():
    sleeps = []

    with pytest.raises(FleetBusy):
        call_with_retries(always_busy, POLICY, sleep=sleeps.append, rng=lambda: 0.25)

    assert sleeps == pytest.approx([0.025, 0.05, 0.075])  # steps 0.1, 0.2, 0.3 (capped)


def test_sleeps_with_the_default_random_source_spread_over_the_whole_step():
    sleeps = []
    for _ in range(200):
        with pytest.raises(FleetBusy):
            call_with_retries(always_busy, RetryPolicy(attempts=2, base_delay=0.1),
                              sleep=sleeps.append)

    assert all(0 <= seconds <= 0.1 for seconds in sleeps)
    assert min(sleeps) < 0.03 and max(sleeps) > 0.07
    assert len(set(sleeps)) > 150


def test_two_callers_failing_together_come_back_at_different_times():
    first, second = [], []
    for sleeps, seed in ((first, 1), (second, 2)):
        with pytest.raises(FleetBusy):
            call_with_retries(always_busy, POLICY, sleep=sleeps.append,
                              rng=random.Random(seed).random)

    assert first != second
