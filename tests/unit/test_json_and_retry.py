from decimal import Decimal

import pytest

from shared.adapters.json_encoding import jsonable
from shared.domain.errors import FleetBusy
from shared.domain.retry import Retryable, RetryPolicy, call_with_retries


def test_dynamodb_numbers_become_json_numbers_exactly():
    item = {'Speed': Decimal('72'), 'Rating': Decimal('4.8'), 'Tags': {'a'},
            'Nested': [{'Big': Decimal('1E+3')}]}

    assert jsonable(item) == {'Speed': 72, 'Rating': 4.8, 'Tags': ['a'],
                              'Nested': [{'Big': 1000}]}
    assert type(jsonable(item)['Speed']) is int


def test_retries_stop_at_the_policy_and_raise_the_wrapped_error():
    calls, sleeps = [], []

    def always_throttled():
        calls.append(1)
        raise Retryable(FleetBusy('busy'))

    with pytest.raises(FleetBusy):
        call_with_retries(always_throttled, RetryPolicy(attempts=3, base_delay=0.1, max_delay=0.15),
                          sleep=sleeps.append, rng=lambda: 1.0)

    assert len(calls) == 3
    assert sleeps == [0.1, 0.15]  # exponential, capped; full jitter scales it by rng()


def test_errors_not_marked_retryable_are_not_retried():
    calls = []

    def fails():
        calls.append(1)
        raise ValueError('bug')

    with pytest.raises(ValueError):
        call_with_retries(fails, RetryPolicy(attempts=3), sleep=lambda s: None)
    assert calls == [1]
