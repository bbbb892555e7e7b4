"""The rides service: a rider asks, the fleet dispatches, the ride is
published, the rider gets an answer. Nothing is left half-done: a ride that
cannot be published gives its unicorn back before the error goes out.
"""
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol

from shared import logs
from shared.domain.errors import FleetBusy, FleetError, FleetTimeout, RideNotFound, WildRydesError
from shared.domain.fleet_client import FleetClient
from shared.domain.parsing import parse_ride_id, parse_ride_request

log = logging.getLogger(__name__)

Ride = dict[str, Any]


class RidePublisher(Protocol):
    def publish(self, ride: Ride) -> None:
        """Send the ride out once, or raise a WildRydesError."""


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class RideService:
    def __init__(self, fleet_client: FleetClient, publisher: RidePublisher,
                 new_ride_id: Callable[[], object] = uuid.uuid4,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self._fleet = fleet_client
        self._publisher = publisher
        self._new_ride_id = new_ride_id
        self._clock = clock

    def request_ride(self, body: object) -> Ride:
        """Validate, dispatch, publish; the ride as the rider sees it."""
        pickup = parse_ride_request(body)
        ride_id = str(self._new_ride_id())
        logs.bind_ride(ride_id)
        try:
            unicorn = self._fleet.request_unicorn(ride_id, pickup)
        except (FleetError, FleetTimeout, FleetBusy):
            # The fleet may have dispatched before the failure reached us (an
            # answer too late or garbled, a crash after the claim): give that
            # unicorn back too. The fleet's own "no" answers hold nothing.
            self._give_back(ride_id)
            raise
        ride = {
            'RideId': ride_id,
            'Unicorn': unicorn,
            'UnicornName': unicorn['Name'],
            'RequestTime': self._clock().isoformat(timespec='milliseconds'),
            'PickupLocation': pickup.to_dict(),
        }
        try:
            self._publisher.publish(ride)
        except WildRydesError:
            self._give_back(ride_id)
            raise
        log.info('ride dispatched', extra={'unicorn': unicorn['Name']})
        return ride

    def complete_ride(self, ride_id: object) -> dict[str, Any]:
        """End a ride: its unicorn is free for the next rider."""
        ride_id = parse_ride_id(ride_id)
        logs.bind_ride(ride_id)
        result = self._fleet.release_unicorn(ride_id)
        log.info('ride completed')
        return {'RideId': ride_id, 'Completed': True, 'Unicorn': result.get('Unicorn')}

    def _give_back(self, ride_id: str) -> None:
        try:
            self._fleet.release_unicorn(ride_id)
        except RideNotFound:
            pass  # the dispatch never reached the fleet: nothing was held
        except WildRydesError:
            # The lease still frees the unicorn after a few minutes.
            log.error('could not release the unicorn of a failed ride')
