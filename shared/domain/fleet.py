"""The fleet's business logic: hand out a free unicorn, uniformly at random,
to one ride at a time, and take it back.

Uniform and cheap at any fleet size: each unicorn sits in a numbered slot, so
a pick is one random slot read, not a scan. A pick that lands on a busy
unicorn is thrown away and drawn again (rejection sampling keeps the choice
uniform over the free ones); after a few misses the fleet is nearly full and
the short list of free unicorns is read from the availability index instead.
A dispatch is one conditional claim, so two rides can never get the same
unicorn, one rider can never hold two, and a repeated dispatch for a ride
returns what it already has. Rides belong to riders: a ride that is not the
caller's is answered exactly as one that does not exist.
"""
import dataclasses
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from shared.domain.errors import NoUnicornAvailable, RideInProgress, RideNotFound
from shared.domain.fleet_store import INTERNAL_ATTRIBUTES, Claim, ClaimConflict, FleetStore, RideOrder, Unicorn
from shared.domain.parsing import UnicornRequest

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 300
RANDOM_PICKS = 4
CLAIM_ATTEMPTS = 5
RIDE_RECORD_KEPT_SECONDS = 24 * 3600


def public_view(unicorn: Unicorn) -> Unicorn:
    """The unicorn as clients see it: catalog attributes only."""
    return {key: value for key, value in unicorn.items()
            if key not in INTERNAL_ATTRIBUTES}


def ride_view(claim: Claim, now: int) -> dict[str, Any]:
    """The ride as its rider sees it, with its status: `active` while it
    holds its unicorn, `completed` once ended, `expired` once the lease ran out."""
    status = 'completed' if claim.completed else 'active' if claim.active(now) else 'expired'
    return {'RideId': claim.ride_id, 'RiderId': claim.rider_id,
            'Unicorn': public_view(claim.unicorn), 'RequestTime': claim.request_time,
            'PickupLocation': claim.pickup, 'Status': status}


class Fleet:
    def __init__(self, store: FleetStore, lease_seconds: int = DEFAULT_LEASE_SECONDS,
                 rng: random.Random | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._lease = int(lease_seconds)
        self._rng = rng or random.SystemRandom()
        self._clock = clock

    @property
    def store(self) -> FleetStore:
        return self._store

    def handle(self, request: UnicornRequest) -> dict[str, Any]:
        """Serve a parsed `UnicornRequest`."""
        if request.ride_id is None:
            return self.show_available()
        assert request.rider_id is not None  # parsing requires it with a RideId
        if request.action == 'Release':
            return self.release(request.ride_id, request.rider_id)
        if request.action == 'GetRide':
            return self.ride(request.ride_id, request.rider_id)
        pickup = request.pickup.to_dict() if request.pickup else None
        return self.dispatch(RideOrder(request.ride_id, request.rider_id, pickup,
                                       request.request_time))

    def show_available(self) -> Unicorn:
        """One free unicorn, held for nobody (the workshop's original handler)."""
        unicorn = self._pick_free(self._now())
        if unicorn is None:
            raise _all_busy()
        return public_view(unicorn)

    def dispatch(self, order: RideOrder) -> Unicorn:
        """Hold a free unicorn for the order's ride; the same one if the ride
        already holds it. RideInProgress if the rider holds another one.

        No read comes first: the claim's own condition finds a rider who is
        busy (or a repeated ride), and only then is the rider's ride read."""
        for _ in range(CLAIM_ATTEMPTS):
            now = self._now()
            unicorn = self._pick_free(now)
            if unicorn is None:
                held = self._already_held(order, now)
                if held is not None:
                    return held
                raise _all_busy()
            try:
                self._store.claim(unicorn, order, now=now, busy_until=now + self._lease,
                                  expires_at=now + self._lease + RIDE_RECORD_KEPT_SECONDS)
            except ClaimConflict as conflict:
                if conflict.rider_busy:
                    held = self._already_held(order, now)
                    if held is not None:  # a concurrent retry of this ride won
                        return held
                continue  # another ride took this unicorn first, or the rider
                # was freed in between: draw again
            log.info('unicorn dispatched', extra={'unicorn': unicorn['Name'],
                                                  'busy_until': now + self._lease})
            return public_view(unicorn)
        raise NoUnicornAvailable('every unicorn we picked was taken by another '
                                 'ride at the same moment; try again')

    def release(self, ride_id: str, rider_id: str) -> dict[str, Any]:
        """End the rider's ride: its unicorn is free again at once. Repeating
        it answers the same completed ride."""
        claim = self._rider_ride(ride_id, rider_id)
        self._store.release(claim)
        log.info('ride completed, unicorn released', extra={'unicorn': claim.unicorn['Name']})
        completed = dataclasses.replace(claim, completed=True)
        return {**ride_view(completed, self._now()), 'Completed': True}

    def ride(self, ride_id: str, rider_id: str) -> dict[str, Any]:
        """The rider's ride with its unicorn and status."""
        return ride_view(self._rider_ride(ride_id, rider_id), self._now())

    def _rider_ride(self, ride_id: str, rider_id: str) -> Claim:
        claim = self._store.ride_of(rider_id)
        if claim is None or claim.ride_id != ride_id:
            raise RideNotFound(f'no ride with RideId {ride_id}')
        return claim

    def _already_held(self, order: RideOrder, now: int) -> Unicorn | None:
        """The unicorn this very ride holds, if it was dispatched before;
        RideInProgress if the rider holds another; None if the rider is free."""
        claim = self._store.ride_of(order.rider_id)
        if claim is None:
            return None
        if claim.ride_id == order.ride_id:
            log.info('ride already has a unicorn', extra={'unicorn': claim.unicorn['Name']})
            return public_view(claim.unicorn)
        if claim.active(now):
            raise RideInProgress(claim.ride_id)
        return None

    def _pick_free(self, now: int) -> Unicorn | None:
        size = self._store.fleet_size()
        if size == 0:
            raise NoUnicornAvailable('the fleet is empty: no unicorns are loaded')
        for _ in range(RANDOM_PICKS):
            unicorn = self._store.unicorn_at(self._rng.randrange(size))
            if unicorn is not None and unicorn['BusyUntil'] < now:
                return unicorn
        names = self._store.free_unicorn_names(now)
        if not names:
            return None
        return self._store.unicorn(self._rng.choice(sorted(names)))

    def _now(self) -> int:
        return int(self._clock())


def _all_busy() -> NoUnicornAvailable:
    return NoUnicornAvailable('no unicorn available right now: every unicorn '
                              'is on a ride; try again in a minute')
