"""How rides gets a unicorn from the fleet: one client, two transports.

`InvokeTransport` calls the fleet's Lambda function directly (no API
Gateway: cheaper and faster, but errors come back as data and must be
checked); `HttpTransport` calls the fleet's API Gateway route. Both turn
every failure into a domain error, marking the ones worth another try as
`Retryable`; `FleetClient` owns the retries and checks what comes back.
"""
import time
from collections.abc import Callable
from typing import Any, Protocol

from shared.domain.errors import FleetError
from shared.domain.parsing import PickupLocation
from shared.domain.retry import RetryPolicy, call_with_retries


class FleetTransport(Protocol):
    def dispatch(self, payload: dict[str, Any]) -> Any:
        """The fleet's answer to a dispatch (any JSON value)."""

    def release(self, ride_id: str) -> Any:
        """The fleet's answer to a release (any JSON value)."""


class FleetClient:
    def __init__(self, transport: FleetTransport, dispatch_retry: RetryPolicy,
                 release_retry: RetryPolicy,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self._transport = transport
        self._retry = dispatch_retry
        self._release_retry = release_retry
        self._sleep = sleep

    def request_unicorn(self, ride_id: str, pickup: PickupLocation) -> dict[str, Any]:
        """Dispatch a unicorn to the ride. Safe to repeat: the fleet answers
        a repeated RideId with the unicorn it already holds for it."""
        payload = {'RideId': ride_id, 'PickupLocation': pickup.to_dict()}
        unicorn = call_with_retries(
            lambda: self._transport.dispatch(payload), self._retry, sleep=self._sleep)
        return checked_unicorn(unicorn)

    def release_unicorn(self, ride_id: str) -> Any:
        """End the ride: the fleet frees its unicorn."""
        return call_with_retries(
            lambda: self._transport.release(ride_id), self._release_retry,
            sleep=self._sleep)


def checked_unicorn(answer: object) -> dict[str, Any]:
    """The fleet's answer, if it is a unicorn; a FleetError if not."""
    if (not isinstance(answer, dict)
            or not isinstance(answer.get('Name'), str) or not answer['Name']
            or not isinstance(answer.get('Color'), str)):
        raise FleetError('the fleet answered with something that is not a unicorn')
    return answer
