"""Bounded retries with exponential backoff and full jitter.

Only errors a caller marked `Retryable` are tried again, so the decision of
what is safe to repeat stays with the code that knows the operation.
"""
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

Result = TypeVar('Result')


class Retryable(Exception):
    """Wraps the error to raise if the last attempt fails this way too."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    base_delay: float = 0.1
    max_delay: float = 1.0

    def max_total_delay(self) -> float:
        """The longest all backoffs together can sleep (for the time budget)."""
        return sum(self._cap(attempt) for attempt in range(self.attempts - 1))

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Full jitter: anywhere up to the capped exponential step, so
        callers that failed together do not all come back together."""
        return rng() * self._cap(attempt)

    def _cap(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2.0 ** attempt)


def call_with_retries(operation: Callable[[], Result], policy: RetryPolicy,
                      sleep: Callable[[float], object] = time.sleep,
                      rng: Callable[[], float] = random.random) -> Result:
    """Run `operation()` up to `policy.attempts` times while it raises Retryable."""
    for attempt in range(policy.attempts):
        try:
            return operation()
        except Retryable as retryable:
            if attempt == policy.attempts - 1:
                raise retryable.error from None
            sleep(policy.delay(attempt, rng))
    raise AssertionError('RetryPolicy.attempts must be at least 1')
