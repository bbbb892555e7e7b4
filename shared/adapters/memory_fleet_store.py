"""The fleet store in memory, for the fast unit tests and for trying rules
out without AWS.

It keeps the DynamoDB store's promises, checked by the same behavioural
tests: a claim holds the unicorn only if its lease ran out and the ride
holds nothing yet, both checked and written under one lock (DynamoDB's
transaction); a release frees the unicorn only while the ride still holds
it; a reload keeps every lease. Values go in and come out as copies, as
they would through a database.
"""
import copy
import threading
from typing import Any

from shared.domain.fleet_store import INTERNAL_ATTRIBUTES, Claim, ClaimConflict, Unicorn


class InMemoryFleetStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unicorns: dict[str, Unicorn] = {}
        self._rides: dict[str, dict[str, Any]] = {}
        self._size = 0

    # -- reads -------------------------------------------------------------

    def fleet_size(self) -> int:
        return self._size

    def unicorn_at(self, slot: int) -> Unicorn | None:
        with self._lock:
            for unicorn in self._unicorns.values():
                if unicorn['Slot'] == slot:
                    return copy.deepcopy(unicorn)
        return None

    def free_unicorn_names(self, now: int) -> list[str]:
        with self._lock:
            return [name for name, unicorn in self._unicorns.items()
                    if unicorn['BusyUntil'] < now]

    def unicorn(self, name: str) -> Unicorn | None:
        with self._lock:
            unicorn = self._unicorns.get(name)
            return copy.deepcopy(unicorn) if unicorn is not None else None

    def claim_for(self, ride_id: str) -> Claim | None:
        with self._lock:
            ride = self._rides.get(ride_id)
            if ride is None:
                return None
            return Claim(ride_id=ride_id, unicorn=copy.deepcopy(ride['Unicorn']),
                         busy_until=ride['BusyUntil'], completed=ride['Completed'])

    # -- writes ------------------------------------------------------------

    def claim(self, unicorn: Unicorn, ride_id: str, now: int, busy_until: int,
              expires_at: int) -> None:
        with self._lock:
            held = self._unicorns.get(unicorn['Name'])
            unicorn_taken = held is None or not held['BusyUntil'] < now
            ride_exists = ride_id in self._rides
            if unicorn_taken or ride_exists:
                raise ClaimConflict(unicorn_taken=unicorn_taken, ride_exists=ride_exists)
            assert held is not None
            held.update(BusyUntil=busy_until, RideId=ride_id)
            self._rides[ride_id] = {'Unicorn': copy.deepcopy(unicorn), 'BusyUntil': busy_until,
                                    'ExpiresAt': expires_at, 'Completed': False}

    def release(self, claim: Claim) -> None:
        with self._lock:
            unicorn = self._unicorns.get(claim.unicorn['Name'])
            if unicorn is not None and unicorn.get('RideId') == claim.ride_id:
                unicorn['BusyUntil'] = 0
                del unicorn['RideId']
            self._rides.setdefault(claim.ride_id, {
                'Unicorn': copy.deepcopy(claim.unicorn), 'BusyUntil': claim.busy_until,
                'ExpiresAt': None})['Completed'] = True

    def put_unicorn(self, unicorn: Unicorn, slot: int) -> None:
        catalog = {key: copy.deepcopy(value) for key, value in unicorn.items()
                   if key not in INTERNAL_ATTRIBUTES}
        with self._lock:
            stored = self._unicorns.setdefault(unicorn['Name'], {'BusyUntil': 0})
            stored.update(catalog, Slot=slot)

    def set_fleet_size(self, size: int) -> None:
        self._size = size

    def unicorn_names(self) -> list[str]:
        with self._lock:
            return list(self._unicorns)

    def delete_unicorn(self, name: str) -> None:
        with self._lock:
            self._unicorns.pop(name, None)
