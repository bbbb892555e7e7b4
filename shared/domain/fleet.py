"""The fleet's business logic: hand out a free unicorn, uniformly at random,
to one ride at a time, and take it back.

Uniform and cheap at any fleet size: each unicorn sits in a numbered slot, so
a pick is one random slot read, not a scan. A pick that lands on a busy
unicorn is thrown away and drawn again (rejection sampling keeps the choice
uniform over the free ones); after a few misses the fleet is nearly full and
the short list of free unicorns is read from the availability index instead.
A dispatch is one conditional claim, so two rides can never get the same
unicorn, and a repeated dispatch for a ride returns what it already has.
"""
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from shared.domain.errors import NoUnicornAvailable, RideNotFound
from shared.domain.fleet_store import INTERNAL_ATTRIBUTES, ClaimConflict, FleetStore, Unicorn
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
        if request.action == 'Release':
            assert request.ride_id is not None  # parsing requires it
            return self.release(request.ride_id)
        if request.ride_id is None:
            return self.show_available()
        return self.dispatch(request.ride_id)

    def show_available(self) -> Unicorn:
        """One free unicorn, held for nobody (the workshop's original handler)."""
        unicorn = self._pick_free(self._now())
        if unicorn is None:
            raise _all_busy()
        return public_view(unicorn)

    def dispatch(self, ride_id: str) -> Unicorn:
        """Hold a free unicorn for `ride_id`; the same one if already held."""
        existing = self._store.claim_for(ride_id)
        if existing is not None:
            log.info('ride already has a unicorn', extra={'unicorn': existing.unicorn['Name']})
            return public_view(existing.unicorn)
        for _ in range(CLAIM_ATTEMPTS):
            now = self._now()
            unicorn = self._pick_free(now)
            if unicorn is None:
                raise _all_busy()
            try:
                self._store.claim(unicorn, ride_id, now=now,
                                  busy_until=now + self._lease,
                                  expires_at=now + self._lease + RIDE_RECORD_KEPT_SECONDS)
            except ClaimConflict as conflict:
                if conflict.ride_exists:  # a concurrent retry of this ride won
                    return self._held_by(ride_id)
                continue  # another ride took this unicorn first: draw again
            log.info('unicorn dispatched', extra={'unicorn': unicorn['Name'],
                                                  'busy_until': now + self._lease})
            return public_view(unicorn)
        raise NoUnicornAvailable('every unicorn we picked was taken by another '
                                 'ride at the same moment; try again')

    def release(self, ride_id: str) -> dict[str, Any]:
        """End a ride early: its unicorn is free again at once."""
        claim = self._store.claim_for(ride_id)
        if claim is None:
            raise RideNotFound(f'no ride with RideId {ride_id}')
        if not claim.completed:
            self._store.release(claim)
        log.info('ride completed, unicorn released', extra={'unicorn': claim.unicorn['Name']})
        return {'RideId': ride_id, 'Completed': True,
                'Unicorn': public_view(claim.unicorn)}

    def _held_by(self, ride_id: str) -> Unicorn:
        claim = self._store.claim_for(ride_id)
        if claim is None:  # the store said the ride exists; it cannot vanish
            raise RideNotFound(f'no ride with RideId {ride_id}')
        return public_view(claim.unicorn)

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
