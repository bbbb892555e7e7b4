"""Counting DynamoDB requests: the fleet promises a number per dispatch that
does not grow with the fleet, and the bench prices a dispatch by it."""
from collections import Counter
from typing import Any


class RequestCounter:
    """Counts every DynamoDB call a client makes, by operation name."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register('before-call.dynamodb', self._count)

    def _count(self, model: Any, **kwargs: Any) -> None:
        self.counts[model.name] += 1

    def take(self) -> Counter[str]:
        """The counts so far; counting starts again from zero."""
        counts, self.counts = self.counts, Counter()
        return counts
