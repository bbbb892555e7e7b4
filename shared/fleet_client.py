"""How rides gets a unicorn from the fleet: one client, two transports.

`InvokeTransport` calls the fleet's Lambda function directly with boto3
(no API Gateway: cheaper and faster, but errors come back as data and must
be checked); `HttpTransport` calls the fleet's API Gateway route. Both turn
every failure into a domain error, marking the ones worth another try as
`Retryable`; `FleetClient` owns the retries and checks what comes back.
"""
import time

from shared import budget
from shared.errors import FleetError
from shared.retry import call_with_retries


class FleetClient:
    def __init__(self, transport, call_budget=budget.FLEET_CALL,
                 release_budget=budget.FLEET_RELEASE, sleep=time.sleep):
        self._transport = transport
        self._retry = call_budget.retry
        self._release_retry = release_budget.retry
        self._sleep = sleep

    def request_unicorn(self, ride_id, pickup):
        """Dispatch a unicorn to the ride. Safe to repeat: the fleet answers
        a repeated RideId with the unicorn it already holds for it."""
        payload = {'RideId': ride_id, 'PickupLocation': pickup.to_dict()}
        unicorn = call_with_retries(
            lambda: self._transport.dispatch(payload), self._retry, sleep=self._sleep)
        return checked_unicorn(unicorn)

    def release_unicorn(self, ride_id):
        """End the ride: the fleet frees its unicorn."""
        return call_with_retries(
            lambda: self._transport.release(ride_id), self._release_retry,
            sleep=self._sleep)


def checked_unicorn(answer):
    """The fleet's answer, if it is a unicorn; a FleetError if not."""
    if (not isinstance(answer, dict)
            or not isinstance(answer.get('Name'), str) or not answer['Name']
            or not isinstance(answer.get('Color'), str)):
        raise FleetError('the fleet answered with something that is not a unicorn')
    return answer
