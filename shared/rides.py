"""The rides service: a rider asks, the fleet dispatches, the ride is
published, the rider gets an answer. Nothing is left half-done: a ride that
cannot be published gives its unicorn back before the error goes out.
"""
import logging
import uuid
from datetime import datetime, timezone

from shared.errors import FleetBusy, FleetError, FleetTimeout, RideNotFound, WildRydesError
from shared.logs import bind_ride
from shared.requests import parse_ride_id, parse_ride_request

log = logging.getLogger(__name__)


def _utc_now():
    return datetime.now(timezone.utc)


class RideService:
    def __init__(self, fleet_client, publisher, new_ride_id=uuid.uuid4, clock=_utc_now):
        self._fleet = fleet_client
        self._publisher = publisher
        self._new_ride_id = new_ride_id
        self._clock = clock

    def request_ride(self, body):
        """Validate, dispatch, publish; the ride as the rider sees it."""
        pickup = parse_ride_request(body)
        ride_id = str(self._new_ride_id())
        bind_ride(ride_id)
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

    def complete_ride(self, ride_id):
        """End a ride: its unicorn is free for the next rider."""
        ride_id = parse_ride_id(ride_id)
        bind_ride(ride_id)
        result = self._fleet.release_unicorn(ride_id)
        log.info('ride completed')
        return {'RideId': ride_id, 'Completed': True, 'Unicorn': result.get('Unicorn')}

    def _give_back(self, ride_id):
        try:
            self._fleet.release_unicorn(ride_id)
        except RideNotFound:
            pass  # the dispatch never reached the fleet: nothing was held
        except WildRydesError:
            # The lease still frees the unicorn after a few minutes.
            log.error('could not release the unicorn of a failed ride')
