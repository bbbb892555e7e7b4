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

from shared.domain.callee import Callee
from shared.domain.errors import FLEET_ANSWERS, FleetBusy, FleetError, FleetTimeout, InvalidRequest, RideInProgress
from shared.domain.parsing import PickupLocation, parse_ride_id
from shared.domain.retry import RetryPolicy, call_with_retries

# The fleet, as its failures reach the rider (whichever transport reaches it).
FLEET = Callee(name='the fleet', error=FleetError, timeout=FleetTimeout, busy=FleetBusy,
               answers=FLEET_ANSWERS, arn_settings='REQUEST_UNICORN_ARN and its SSM parameter')


class FleetTransport(Protocol):
    def dispatch(self, payload: dict[str, Any]) -> Any:
        """The fleet's answer to a dispatch (any JSON value)."""

    def release(self, ride_id: str, rider_id: str | None = None) -> Any:
        """The fleet's answer to a release (any JSON value)."""

    def get_ride(self, ride_id: str, rider_id: str) -> Any:
        """The fleet's answer to reading a ride (any JSON value)."""


class FleetClient:
    def __init__(self, transport: FleetTransport, dispatch_retry: RetryPolicy,
                 release_retry: RetryPolicy,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self._transport = transport
        self._retry = dispatch_retry
        self._release_retry = release_retry
        self._sleep = sleep

    def request_unicorn(self, ride_id: str, rider_id: str, pickup: PickupLocation,
                        request_time: str | None = None) -> dict[str, Any]:
        """Dispatch a unicorn to the rider's ride. Safe to repeat: the fleet
        answers a repeated RideId with the unicorn it already holds for it."""
        payload = {'RideId': ride_id, 'RiderId': rider_id, 'PickupLocation': pickup.to_dict(),
                   'RequestTime': request_time}
        unicorn = call_with_retries(
            lambda: self._transport.dispatch(payload), self._retry, sleep=self._sleep)
        return checked_unicorn(unicorn)

    def release_unicorn(self, ride_id: str, rider_id: str) -> Any:
        """End the rider's ride: the fleet frees its unicorn."""
        return call_with_retries(
            lambda: self._transport.release(ride_id, rider_id), self._release_retry,
            sleep=self._sleep)

    def ride(self, ride_id: str, rider_id: str) -> Any:
        """The rider's ride as the fleet keeps it."""
        return call_with_retries(
            lambda: self._transport.get_ride(ride_id, rider_id), self._release_retry,
            sleep=self._sleep)


def checked_unicorn(answer: object) -> dict[str, Any]:
    """The fleet's answer, if it is a unicorn; RideInProgress if the fleet
    answered that (an expected outcome, so a result, not a function error);
    a FleetError if anything else."""
    if isinstance(answer, dict) and answer.get('Code') == RideInProgress.code:
        try:
            raise RideInProgress(parse_ride_id(answer.get('RideId')))
        except InvalidRequest:
            raise FleetError('the fleet answered RideInProgress without a RideId') from None
    if (not isinstance(answer, dict)
            or not isinstance(answer.get('Name'), str) or not answer['Name']
            or not isinstance(answer.get('Color'), str)):
        raise FleetError('the fleet answered with something that is not a unicorn')
    return answer
