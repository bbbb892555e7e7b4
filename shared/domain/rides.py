"""The rides service: a rider asks, the fleet dispatches, the ride is
published, the rider gets an answer. Nothing is left half-done: a ride that
cannot be published gives its unicorn back before the error goes out, and
when that publish may have gone out after all, a RideCancelled follows it
(`published_events`). Ending a ride publishes RideCompleted.
"""
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from shared import logs
from shared.domain.errors import (
    FleetBusy,
    FleetError,
    FleetTimeout,
    RideNotFound,
    RideNotRecorded,
    WildRydesError,
)
from shared.domain.fleet_client import FleetClient
from shared.domain.parsing import parse_ride_id, parse_ride_request, parse_rider_id
from shared.domain.published_events import (
    PublishOutcomeUnknown,
    RideEvent,
    ride_cancelled,
    ride_completed,
    ride_requested,
)

log = logging.getLogger(__name__)

Ride = dict[str, Any]

# What a rider sees of a stored ride.
RIDE_FIELDS = ('RideId', 'RiderId', 'Unicorn', 'RequestTime', 'PickupLocation', 'Status')


# What the rider is told when a ride's event could not be published.
NOT_REQUESTED = 'could not record the ride; no unicorn was held for it, please try again'
NOT_COMPLETED = ('your ride has ended, but that could not be recorded; '
                 'please end it again')


class RidePublisher(Protocol):
    def publish(self, event: RideEvent) -> None:
        """Send the event out, or raise a WildRydesError (PublishOutcomeUnknown
        when it may have gone out anyway)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class RideService:
    def __init__(self, fleet_client: FleetClient, publisher: RidePublisher,
                 new_ride_id: Callable[[], object] = uuid.uuid4,
                 clock: Callable[[], datetime] = _utc_now,
                 cancellations: RidePublisher | None = None) -> None:
        """`cancellations` publishes RideCancelled (by default `publisher`):
        it runs after a failed publish, so it may get a tighter budget."""
        self._fleet = fleet_client
        self._publisher = publisher
        self._cancellations = cancellations or publisher
        self._new_ride_id = new_ride_id
        self._clock = clock

    def request_ride(self, body: object, rider_id: object) -> Ride:
        """Validate, dispatch, publish; the ride as the rider sees it. The
        rider comes from the caller's identity (the ID token's `sub`, or the
        trusted direct-invoke payload), never from the body."""
        pickup = parse_ride_request(body)
        rider = parse_rider_id(rider_id)
        ride_id = str(self._new_ride_id())
        logs.bind_ride(ride_id)
        request_time = self._clock().isoformat(timespec='milliseconds')
        try:
            unicorn = self._fleet.request_unicorn(ride_id, rider, pickup, request_time)
        except (FleetError, FleetTimeout, FleetBusy):
            # The fleet may have dispatched before the failure reached us (an
            # answer too late or garbled, a crash after the claim): give that
            # unicorn back too. The fleet's own "no" answers hold nothing.
            self._give_back(ride_id, rider)
            raise
        ride = {
            'RideId': ride_id,
            'RiderId': rider,
            'Unicorn': unicorn,
            'UnicornName': unicorn['Name'],
            'RequestTime': request_time,
            'PickupLocation': pickup.to_dict(),
        }
        try:
            self._publisher.publish(ride_requested(ride, self._clock()))
        except PublishOutcomeUnknown:
            self._give_back(ride_id, rider)
            self._cancel(ride_id, rider)
            raise RideNotRecorded(NOT_REQUESTED) from None
        except RideNotRecorded:
            self._give_back(ride_id, rider)
            raise RideNotRecorded(NOT_REQUESTED) from None
        log.info('ride dispatched', extra={'unicorn': unicorn['Name']})
        return ride

    def complete_ride(self, ride_id: object, rider_id: object) -> dict[str, Any]:
        """End the rider's ride: its unicorn is free for the next rider.
        Completing it again answers the same ride."""
        ride_id = parse_ride_id(ride_id)
        rider = parse_rider_id(rider_id)
        logs.bind_ride(ride_id)
        ride = self._checked_ride(self._fleet.release_unicorn(ride_id, rider), ride_id, rider)
        try:
            self._publisher.publish(ride_completed(ride, self._clock()))
        except RideNotRecorded:
            # The unicorn is free; ending the ride again publishes it again.
            raise RideNotRecorded(NOT_COMPLETED) from None
        log.info('ride completed')
        return {**ride, 'Completed': True}

    def ride(self, ride_id: object, rider_id: object) -> dict[str, Any]:
        """The rider's ride: unicorn, RequestTime, PickupLocation and Status
        (`active`, `completed` or `expired`)."""
        ride_id = parse_ride_id(ride_id)
        rider = parse_rider_id(rider_id)
        return self._checked_ride(self._fleet.ride(ride_id, rider), ride_id, rider)

    @staticmethod
    def _checked_ride(answer: object, ride_id: str, rider_id: str) -> dict[str, Any]:
        """The fleet's ride, if it is the one asked for; a FleetError if not."""
        if (not isinstance(answer, dict) or answer.get('RideId') != ride_id
                or answer.get('RiderId') != rider_id):
            raise FleetError('the fleet answered with something that is not the ride')
        return {key: answer.get(key) for key in RIDE_FIELDS}

    def _cancel(self, ride_id: str, rider_id: str) -> None:
        """The ride may be on the topic although it failed: say it is off."""
        try:
            self._cancellations.publish(ride_cancelled(ride_id, rider_id, self._clock()))
        except RideNotRecorded:
            log.error('could not publish RideCancelled for a ride that may have '
                      'been published')

    def _give_back(self, ride_id: str, rider_id: str) -> None:
        try:
            self._fleet.release_unicorn(ride_id, rider_id)
        except RideNotFound:
            pass  # the dispatch never reached the fleet: nothing was held
        except WildRydesError:
            # The lease still frees the unicorn after a few minutes.
            log.error('could not release the unicorn of a failed ride')
